//go:build !mpi

package distributed_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefaultBuildStatic builds the neurona command as the default (pure
// Go, CGO_ENABLED=0) build and checks that the binary is static: no
// program interpreter, no shared library needed, and ldd says so. It also
// checks that the default build does not link purego, which only the
// -tags mpi build uses.
func TestDefaultBuildStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	deps, err := exec.Command(goBin, "list", "-deps", "../cmd/neurona").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(deps), "ebitengine/purego") {
		t.Fatal("the default build links github.com/ebitengine/purego")
	}
	bin := filepath.Join(t.TempDir(), "neurona")
	cmd := exec.Command(goBin, "build", "-o", bin, "../cmd/neurona")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the default build has a program interpreter (PT_INTERP): it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Fatalf("the default build needs shared libraries: %v", libs)
	}
	if ldd, err := exec.LookPath("ldd"); err == nil {
		out, _ := exec.Command(ldd, bin).CombinedOutput()
		if s := string(out); !strings.Contains(s, "not a dynamic executable") && !strings.Contains(s, "statically linked") {
			t.Fatalf("ldd %s: %s", bin, s)
		}
	}
}
