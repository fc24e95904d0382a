package saving

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// TestPythonSafetensorsLoads checks that Python's safetensors library reads
// what Write writes. It is skipped where /usr/bin/python3 cannot import
// safetensors.numpy (Debian bookworm has no python3-safetensors package).
func TestPythonSafetensorsLoads(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import safetensors.numpy").Run(); err != nil {
		t.Skipf("%s cannot import safetensors.numpy: %v", python, err)
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	entries := []Entry{
		{Name: "dense_1/kernel", Tensor: tensor.FromSlice([]float32{1, -2.5, 3, 4e-3, 5, 6}, 2, 3)},
		{Name: "dense_1/bias", Tensor: tensor.FromSlice([]float32{0.5, -0.25, 1e10}, 3)},
		{Name: "optimizer/m/dense_1/kernel", Tensor: tensor.Full(0.125, 2, 3)},
		{Name: "scalar", Tensor: tensor.Full(7)},
		{Name: "empty", Tensor: tensor.New(2, 0)},
	}
	metadata := map[string]string{"format": "neurona/1", "config": `{"layers":[]}`}
	if err := WriteFile(path, entries, metadata); err != nil {
		t.Fatal(err)
	}
	const script = `
import json, sys
from safetensors import safe_open
from safetensors.numpy import load_file
tensors = load_file(sys.argv[1])
with safe_open(sys.argv[1], framework="np") as f:
    metadata = f.metadata()
out = {"metadata": metadata, "tensors": {
    k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": [float(x) for x in v.reshape(-1)]}
    for k, v in tensors.items()}}
print(json.dumps(out))
`
	out, err := exec.Command(python, "-c", script, path).Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var got struct {
		Metadata map[string]string
		Tensors  map[string]struct {
			Dtype  string
			Shape  []int
			Values []float64
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	for k, v := range metadata {
		if got.Metadata[k] != v {
			t.Errorf("metadata[%q] = %q, want %q", k, got.Metadata[k], v)
		}
	}
	if len(got.Tensors) != len(entries) {
		t.Errorf("python sees %d tensors, want %d", len(got.Tensors), len(entries))
	}
	for _, e := range entries {
		p, ok := got.Tensors[e.Name]
		if !ok {
			t.Errorf("python lacks %q", e.Name)
			continue
		}
		if p.Dtype != "float32" || !tensor.EqualShape(p.Shape, e.Tensor.Shape) {
			t.Errorf("%q: python sees %s %v, want float32 %v", e.Name, p.Dtype, p.Shape, e.Tensor.Shape)
		}
		for i, v := range e.Tensor.Data {
			if i >= len(p.Values) || float32(p.Values[i]) != v {
				t.Errorf("%q: python values %v, want %v", e.Name, p.Values, e.Tensor.Data)
				break
			}
		}
	}
}
