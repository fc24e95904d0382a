package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
)

// medianShare is the median saturated share of the demo over seeds 1–5.
func medianShare(t *testing.T, initializer string, act activations.Name) float64 {
	t.Helper()
	var shares []float64
	for seed := uint64(1); seed <= 5; seed++ {
		r, err := weightInit(initializer, act, seed)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.act) != weightInitUnits {
			t.Fatalf("%d activations, want %d", len(r.act), weightInitUnits)
		}
		shares = append(shares, r.share())
	}
	slices.Sort(shares)
	t.Logf("%s + %s: saturated shares over seeds 1-5 %v, median %.4f", initializer, act, shares, shares[2])
	return shares[2]
}

// The book's point: with random_normal (stddev 1) most sigmoid units
// saturate; with glorot_normal almost none do.
func TestWeightInitSaturation(t *testing.T) {
	if m := medianShare(t, "random_normal", activations.Sigmoid); m < 0.70 {
		t.Errorf("random_normal + sigmoid: median saturated share %.4f, want at least 0.70", m)
	}
	if m := medianShare(t, "glorot_normal", activations.Sigmoid); m >= 0.01 {
		t.Errorf("glorot_normal + sigmoid: median saturated share %.4f, want below 0.01", m)
	}
	if m := medianShare(t, "random_normal", activations.Tanh); m < 0.70 {
		t.Errorf("random_normal + tanh: median saturated share %.4f, want at least 0.70", m)
	}
	if m := medianShare(t, "glorot_normal", activations.Tanh); m >= 0.01 {
		t.Errorf("glorot_normal + tanh: median saturated share %.4f, want below 0.01", m)
	}
}

var saturatedLine = regexp.MustCompile(`(?m)^saturated: (\d+) of 256 units \((\d+\.\d)%\)$`)

// The CLI prints the same count as weightInit, and a 10-bin histogram of
// the 256 units.
func TestWeightInitCLI(t *testing.T) {
	r, err := weightInit("random_normal", activations.Sigmoid, 3)
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, code := neurona(t, nil, "run", "weight-init", "--seed", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := saturatedLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no saturated line:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n != r.saturated {
		t.Errorf("CLI says %d saturated, weightInit %d", n, r.saturated)
	}
	if want := fmt.Sprintf("%.1f", 100*r.share()); m[2] != want {
		t.Errorf("CLI share %s%%, want %s%%", m[2], want)
	}
	if !strings.Contains(out, "initializer: random_normal\nactivation: sigmoid\n") {
		t.Errorf("output does not name the initializer and activation:\n%s", out)
	}
	bins := regexp.MustCompile(`(?m)^\[[ \d.-]+, [ \d.-]+[)\]] +(\d+)`).FindAllStringSubmatch(out, -1)
	total := 0
	for _, b := range bins {
		n, _ := strconv.Atoi(b[1])
		total += n
	}
	if len(bins) != 10 || total != 256 {
		t.Errorf("%d histogram bins counting %d units, want 10 and 256:\n%s", len(bins), total, out)
	}
	out, _, code = neurona(t, nil, "run", "weight-init", "--activation", "relu", "--initializer", "glorot_uniform")
	if code != 0 || !regexp.MustCompile(`(?m)^inactive: \d+ of 256 units`).MatchString(out) {
		t.Errorf("relu: exit %d, output:\n%s", code, out)
	}
}

// An independent float64 reference: z = x·W + b from the model's weights,
// then the sigmoid, matches the model's float32 activations.
func TestWeightInitReference(t *testing.T) {
	r, err := weightInit("random_normal", activations.Sigmoid, 2)
	if err != nil {
		t.Fatal(err)
	}
	ls := r.model.Layers()
	if len(ls) != 2 {
		t.Fatalf("%d layers, want Dense and Activation", len(ls))
	}
	ws := layers.GetWeights(ls[0])
	if len(ws) != 2 {
		t.Fatalf("Dense has %d weights, want kernel and bias", len(ws))
	}
	kernel, bias := ws[0], ws[1]
	if kernel.Shape[0] != 784 || kernel.Shape[1] != 256 || bias.Shape[0] != 256 {
		t.Fatalf("kernel %v, bias %v", kernel.Shape, bias.Shape)
	}
	var sum, sumSq float64
	for _, v := range kernel.Data {
		sum, sumSq = sum+float64(v), sumSq+float64(v)*float64(v)
	}
	n := float64(len(kernel.Data))
	if mean, sd := sum/n, math.Sqrt(sumSq/n-(sum/n)*(sum/n)); math.Abs(mean) > 0.02 || math.Abs(sd-1) > 0.02 {
		t.Errorf("kernel mean %.4f, stddev %.4f: want N(0, 1)", mean, sd)
	}
	for _, v := range r.x.Data {
		if v < 0 || v >= 1 {
			t.Fatalf("input value %v outside [0, 1)", v)
		}
	}
	saturated := 0
	for j := range 256 {
		if bias.Data[j] != 0 {
			t.Fatalf("bias %d is %v, want zeros", j, bias.Data[j])
		}
		z := float64(bias.Data[j])
		for i := range 784 {
			z += float64(r.x.Data[i]) * float64(kernel.Data[i*256+j])
		}
		a := 1 / (1 + math.Exp(-z))
		if d := math.Abs(a - float64(r.act[j])); d > 1e-5 {
			t.Errorf("unit %d: z %.6f, sigmoid %.8f, model %.8f", j, z, a, r.act[j])
		}
		if a < 0.01 || a > 0.99 {
			saturated++
		}
	}
	if saturated != r.saturated {
		t.Errorf("float64 reference: %d saturated, model %d", saturated, r.saturated)
	}
}

func TestWeightInitFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--initializer", "lecun_bogus"}, `"lecun_bogus"`},
		{[]string{"--activation", "softmax"}, `"softmax"`},
		{[]string{"--seed", "minus"}, `"minus"`},
		{[]string{"surplus"}, `"surplus"`},
	} {
		_, stderr, code := neurona(t, nil, append([]string{"run", "weight-init"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "internal error") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %s", c.args, code, stderr, c.want)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "hist.png")
	if _, stderr, code := neurona(t, nil, "run", "weight-init", "--plot", path); code != 0 {
		t.Fatalf("--plot: exit %d: %s", code, stderr)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("--plot wrote no valid PNG: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if _, stderr, code := neurona(t, nil, "run", "weight-init", "--plot", filepath.Join(dir, "hist.gif")); code == 0 {
		t.Errorf("--plot hist.gif: exit 0, stderr %q", stderr)
	}
}

// lockedBuffer is a strings.Builder safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// --dashboard serves the activations' histogram until the context ends,
// then returns nil.
func TestWeightInitDashboard(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- weightInitCommand(ctx, []string{"--dashboard=127.0.0.1:0", "--seed", "4"}, &stdout, &stderr)
	}()
	addrRE := regexp.MustCompile(`neurona: dashboard at http://(\S+)/ \(Ctrl-C stops it\)`)
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == ""; {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("returned %v before serving; stderr %q", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dashboard address; stderr %q", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/api/runs")
	if err != nil {
		t.Fatal(err)
	}
	var runs []struct {
		Name    string
		Summary json.RawMessage
		Hists   []struct {
			Epoch   int
			Weights []struct {
				Name, Kind string
				Min, Max   float64
				Counts     []int
			}
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&runs)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || len(runs[0].Hists) != 1 || len(runs[0].Hists[0].Weights) != 1 {
		t.Fatalf("runs %+v", runs)
	}
	if len(runs[0].Summary) == 0 || string(runs[0].Summary) == "null" {
		t.Error("the run has no summary")
	}
	eh := runs[0].Hists[0]
	h := eh.Weights[0]
	total := 0
	for _, c := range h.Counts {
		total += c
	}
	if eh.Epoch != -1 || h.Kind != "activation" || len(h.Counts) != 50 || total != 256 || h.Min != 0 || h.Max != 1 {
		t.Errorf("histogram at epoch %d: kind %q, [%v, %v], %d bins counting %d; want epoch -1, activation, [0, 1], 50 bins, 256",
			eh.Epoch, h.Kind, h.Min, h.Max, len(h.Counts), total)
	}
	if !saturatedLine.MatchString(stdout.String()) {
		t.Errorf("stdout has no report:\n%s", stdout.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after cancel: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still serving 10s after cancel")
	}
}
