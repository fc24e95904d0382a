package applications

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/neurona/neurona/layers"
)

var vgg19Names = []string{"input_1",
	"block1_conv1", "block1_conv2", "block1_pool",
	"block2_conv1", "block2_conv2", "block2_pool",
	"block3_conv1", "block3_conv2", "block3_conv3", "block3_conv4", "block3_pool",
	"block4_conv1", "block4_conv2", "block4_conv3", "block4_conv4", "block4_pool",
	"block5_conv1", "block5_conv2", "block5_conv3", "block5_conv4", "block5_pool"}

func names(ls []layers.Layer) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.LayerName())
	}
	return out
}

// TestVGG19NoTop checks Keras's layer names, output shape and summary
// totals of VGG19(include_top=False).
func TestVGG19NoTop(t *testing.T) {
	m, err := VGG19(false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(m.Layers()), " "); got != strings.Join(vgg19Names, " ") {
		t.Errorf("layers %s", got)
	}
	if got := m.OutputShape(); len(got) != 3 || got[0] != 7 || got[1] != 7 || got[2] != 512 {
		t.Errorf("output shape %v, want (7, 7, 512)", got)
	}
	var buf bytes.Buffer
	if err := m.Summary(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Model: "vgg19"`, "Total params: 20,024,384", "Trainable params: 20,024,384",
		"block5_conv4 (Conv2D)", "(None, 224, 224, 64)", "2359808"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestVGG19TopShapeOnly counts the weights of VGG19 with its top without
// allocating its 143 million values.
func TestVGG19TopShapeOnly(t *testing.T) {
	m, err := vgg19(true, true)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, l := range m.Layers() {
		for _, s := range layers.WeightShapes(l) {
			n := 1
			for _, d := range s {
				n *= d
			}
			total += n
		}
	}
	if total != 143667240 {
		t.Errorf("%d weights, Keras's VGG19 has 143,667,240", total)
	}
	ns := names(m.Layers())
	if got := strings.Join(ns[len(ns)-4:], " "); got != "flatten fc1 fc2 predictions" {
		t.Errorf("top layers %s", got)
	}
}

func TestVGG19Options(t *testing.T) {
	m, err := VGG19(false, Options{InputShape: []int{32, 32, 3}, Pooling: "avg"})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.OutputShape(); len(got) != 1 || got[0] != 512 {
		t.Errorf("output shape %v, want (512)", got)
	}
	if _, err := VGG19(false, Options{Pooling: "sum"}); err == nil || !strings.Contains(err.Error(), `pooling "sum"`) {
		t.Errorf("error %v", err)
	}
	if _, err := VGG19(false, Options{InputShape: []int{224, 224}}); err == nil {
		t.Error("a 2-D input shape was accepted")
	}
}

// TestLoadVGGWeightFileLayout loads a file with the layout of Keras's
// published VGG19 weights (layer_names, weight_names such as
// block1_conv1_W_1:0, empty pools) into a VGG of the same names with
// fewer filters: every weight lands where h5py put it.
func TestLoadVGGWeightFileLayout(t *testing.T) {
	m, err := vgg("vgg_like", []block{{2, 4}, {2, 4}}, nil, false, false, Options{InputShape: []int{8, 8, 3}})
	if err != nil {
		t.Fatal(err)
	}
	const file = "../models/testdata/keras/vgg_like_notop.h5"
	if err := m.LoadKerasWeights(file); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Layers []struct {
			Name    string `json:"name"`
			Weights []struct {
				Values []float64 `json:"values"`
			} `json:"weights"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, wl := range want.Layers {
		l, err := m.Layer(wl.Name)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range wl.Weights {
			got := l.Weights()[i].Var.Value.Data
			for j, v := range w.Values {
				if got[j] != float32(v) {
					t.Fatalf("%s weight %d [%d] = %v, file %v", wl.Name, i, j, got[j], v)
				}
				n++
			}
		}
	}
	if n != 3*3*3*4+4+3*(3*3*4*4+4) {
		t.Errorf("compared %d values", n)
	}
	// The real VGG19 is not that model: loading reports the first mismatch.
	big, err := VGG19(false, Options{InputShape: []int{32, 32, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if err := big.LoadKerasWeights(file); err == nil || !strings.Contains(err.Error(), `layer "block1_conv1"`) {
		t.Errorf("error %v", err)
	}
}
