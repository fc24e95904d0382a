package examples

import (
	"bytes"
	"encoding/json"
	"github.com/neurona/neurona/internal/kerasfmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/saving"
	"github.com/neurona/neurona/tensor"
)

// tableLines returns the one summary table in text (see
// kerasfmt.SummaryTables).
func tableLines(t *testing.T, text string) []string {
	t.Helper()
	tables := kerasfmt.SummaryTables(text)
	if len(tables) != 1 {
		t.Fatalf("%d summary tables (Layer (type) ... Non-trainable params) in:\n%s", len(tables), text)
	}
	return tables[0]
}

// TestGANSummariesMatchNotebook builds the discriminator and then the
// generator in one process, as the notebook does, and compares their
// summaries with the notebook's (testdata holds notebooks.json's text).
func TestGANSummariesMatchNotebook(t *testing.T) {
	layers.ResetNames()
	d, g, err := GAN()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m         *models.Model
		file      string
		modelLine string
	}{
		{d, "gan-discriminator.summary.txt", `Model: "model_1"`},
		{g, "gan-generator.summary.txt", `Model: "model_2"`},
	} {
		want, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := c.m.Summary(&b); err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(b.String(), "\n"); first != c.modelLine {
			t.Errorf("%s: first line %q, want %q", c.file, first, c.modelLine)
		}
		got, wantLines := tableLines(t, b.String()), tableLines(t, string(want))
		if len(got) != len(wantLines) {
			t.Errorf("%s: %d table lines, the notebook has %d:\n%s", c.file, len(got), len(wantLines), b.String())
			continue
		}
		for i := range got {
			if got[i] != wantLines[i] {
				t.Errorf("%s: line %d is\n%q, the notebook's\n%q", c.file, i+1, got[i], wantLines[i])
			}
		}
	}
}

// TestGANModelsRun checks that both models compute: the generator maps
// noise to 28×28×1 images in (0, 1) and the discriminator maps them to one
// probability each.
func TestGANModelsRun(t *testing.T) {
	d, err := GANDiscriminator()
	if err != nil {
		t.Fatal(err)
	}
	g, err := GANGenerator()
	if err != nil {
		t.Fatal(err)
	}
	g.Seed, d.Seed = 1, 2
	noise := tensor.New(2, 32)
	for i := range noise.Data {
		noise.Data[i] = float32(i%7)/3 - 1
	}
	img, err := g.Predict(noise)
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Shape; len(s) != 4 || s[0] != 2 || s[1] != 28 || s[2] != 28 || s[3] != 1 {
		t.Fatalf("generator output shape %v, want [2 28 28 1]", s)
	}
	for _, v := range img.Data {
		if !(v > 0 && v < 1) {
			t.Fatalf("generator output %v is not a sigmoid's", v)
		}
	}
	p, err := d.Predict(img)
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Shape; len(s) != 2 || s[0] != 2 || s[1] != 1 {
		t.Fatalf("discriminator output shape %v, want [2 1]", s)
	}
}

// TestCompileDiscriminator checks the notebook's compile settings, as a
// saved model records them.
func TestCompileDiscriminator(t *testing.T) {
	d, err := GANDiscriminator()
	if err != nil {
		t.Fatal(err)
	}
	if err := CompileDiscriminator(d); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.MetricNames(), ","); got != "loss,accuracy" {
		t.Errorf("metrics %s, want loss,accuracy", got)
	}
	path := filepath.Join(t.TempDir(), "d.nrn")
	if err := d.Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := saving.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cc struct {
		Loss struct {
			ClassName string `json:"class_name"`
		} `json:"loss"`
		Optimizer struct {
			ClassName string             `json:"class_name"`
			Config    map[string]float64 `json:"config"`
		} `json:"optimizer"`
	}
	if err := json.Unmarshal([]byte(f.Metadata["compile"]), &cc); err != nil {
		t.Fatalf("compile metadata %q: %v", f.Metadata["compile"], err)
	}
	if cc.Loss.ClassName != "BinaryCrossentropy" {
		t.Errorf("loss %s, want BinaryCrossentropy", cc.Loss.ClassName)
	}
	if cc.Optimizer.ClassName != "RMSprop" {
		t.Errorf("optimizer %s, want RMSprop", cc.Optimizer.ClassName)
	}
	for k, want := range map[string]float64{"learning_rate": 0.0008, "decay": 6e-8, "clipvalue": 1, "rho": 0.9} {
		if got := cc.Optimizer.Config[k]; float32(got) != float32(want) {
			t.Errorf("RMSprop %s = %v, the notebook's %v (config %v)", k, got, want, cc.Optimizer.Config)
		}
	}
}

// TestGANAdversarialSummary: the adversarial model is the notebook's
// Model(z, discriminator(generator(z))): an input and two nested-model
// rows, the notebook's 4,311,553 + 183,713 params, of which only the
// generator's 177,329 train; its discriminator still trains on its own.
func TestGANAdversarialSummary(t *testing.T) {
	layers.ResetNames()
	d, g, err := GAN()
	if err != nil {
		t.Fatal(err)
	}
	a, err := GANAdversarial(d, g)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := a.Summary(&b); err != nil {
		t.Fatal(err)
	}
	rows := tableLines(t, b.String())
	want := []string{
		"input_3 (InputLayer)         (None, 32)                0",
		"model_2 (Model)              (None, 28, 28, 1)         183713",
		"model_1 (Model)              (None, 1)                 4311553",
		"Total params: 4,495,266",
		"Trainable params: 177,329",
		"Non-trainable params: 4,317,937",
	}
	for _, w := range want {
		found := false
		for _, r := range rows {
			found = found || r == w
		}
		if !found {
			t.Errorf("the adversarial summary lacks %q:\n%s", w, b.String())
		}
	}
	if first, _, _ := strings.Cut(b.String(), "\n"); first != `Model: "model_3"` {
		t.Errorf("first line %q, want Model: \"model_3\"", first)
	}
	total, trainable := a.CountParams()
	dTotal, _ := d.CountParams()
	gTotal, gTrain := g.CountParams()
	if total != 4311553+183713 || total != dTotal+gTotal || trainable != 177329 || trainable != gTrain {
		t.Errorf("adversarial params %d (%d trainable), want %d (%d)", total, trainable, dTotal+gTotal, gTrain)
	}
	if _, err := GANAdversarial(nil, g); err == nil || !strings.Contains(err.Error(), "GANAdversarial") {
		t.Errorf("a nil discriminator gave %v", err)
	}
}
