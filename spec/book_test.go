package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/neurona/neurona/examples"
	"github.com/neurona/neurona/models"
)

// bookModel builds a book example's model with seed.
func bookModel(t testing.TB, name string, seed uint64) *models.Model {
	t.Helper()
	s, err := Book(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Build(seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBookParamCounts checks each network's parameter counts, epochs and
// batch size against the book's notebooks (Keras's summaries).
func TestBookParamCounts(t *testing.T) {
	cases := []struct {
		name                string
		total, nonTrainable int
		epochs, batchSize   int
		metrics             string
	}{
		{"shallow", 50890, 0, 200, 128, "loss,accuracy"},
		{"intermediate", 55050, 0, 20, 128, "loss,accuracy"},
		{"deep", 59978, 384, 20, 128, "loss,accuracy"},
		{"regression", 1185, 96, 32, 8, "loss"},
		{"learning-speed", 28510, 0, 200, 1, "loss,accuracy"},
		{"lenet", 1199882, 0, 10, 128, "loss,accuracy"},
		{"dense-sentiment", 729729, 0, 4, 128, "loss,accuracy"},
		{"conv-sentiment", 435457, 0, 4, 128, "loss,accuracy"},
		{"rnn-sentiment", 722433, 0, 16, 128, "loss,accuracy"},
		{"lstm-sentiment", 968961, 0, 4, 128, "loss,accuracy"},
		{"gru-sentiment", 886785, 0, 4, 128, "loss,accuracy"},
		{"bilstm-sentiment", 1297921, 0, 6, 128, "loss,accuracy"},
		{"stacked-bilstm-sentiment", 804993, 0, 4, 128, "loss,accuracy"},
		{"conv-lstm-sentiment", 718529, 0, 4, 128, "loss,accuracy"},
		{"multi-convnet-sentiment", 681601, 0, 4, 128, "loss,accuracy"},
	}
	// AlexNet's and VGGNet's 220 MB of weights are counted from their
	// shapes, without building them: the children that
	// TestBuildRefusesHugeLayers starts share this process's peak RSS
	// until they exec. cmd/neurona's tests check their summaries.
	for _, c := range []struct {
		name  string
		total int
	}{{"alexnet", 21883153}, {"vggnet", 33672785}} {
		s, err := Book(c.name)
		if err != nil {
			t.Fatal(err)
		}
		s.MaxParams = c.total
		if err := s.CheckParams(); err != nil {
			t.Errorf("%s: more than Keras's %d weights: %v", c.name, c.total, err)
		}
		s.MaxParams = c.total - 1
		if err := s.CheckParams(); err == nil {
			t.Errorf("%s: fewer than Keras's %d weights", c.name, c.total)
		}
		if cfg := s.FitConfig(); cfg.BatchSize != 64 || cfg.ValidationSplit != 0.1 {
			t.Errorf("%s: batch %d, validation split %v; the book 64 and 0.1", c.name, cfg.BatchSize, cfg.ValidationSplit)
		}
	}
	if got, want := len(BookNames()), len(cases)+2; got != want {
		t.Errorf("%d book examples (%v), the test knows %d", got, BookNames(), want)
	}
	for _, c := range cases {
		s, err := Book(c.name)
		if err != nil {
			t.Fatal(err)
		}
		m := bookModel(t, c.name, 1)
		total, trainable := m.CountParams()
		if total != c.total || total-trainable != c.nonTrainable {
			t.Errorf("%s: %d params, %d non-trainable; Keras has %d and %d", c.name, total, total-trainable, c.total, c.nonTrainable)
		}
		if cfg := s.FitConfig(); cfg.Epochs != c.epochs || cfg.BatchSize != c.batchSize {
			t.Errorf("%s: %d epochs of batch %d, the book %d of %d", c.name, cfg.Epochs, cfg.BatchSize, c.epochs, c.batchSize)
		}
		if got := strings.Join(m.MetricNames(), ","); got != c.metrics {
			t.Errorf("%s: metrics %s, want %s", c.name, got, c.metrics)
		}
		if s.File != "examples/specs/"+c.name+".yaml" {
			t.Errorf("%s: errors name %q", c.name, s.File)
		}
	}
}

func TestBookUnknown(t *testing.T) {
	_, err := Book("nope")
	if !errors.Is(err, examples.ErrUnknown) || !strings.Contains(err.Error(), `unknown example "nope" (valid: alexnet, bilstm-sentiment, conv-lstm-sentiment, `) {
		t.Errorf("Book(nope) = %v", err)
	}
}
