package book

import "testing"

// TestParamCounts checks each network's parameter counts against Keras's
// summaries in the book's notebooks.
func TestParamCounts(t *testing.T) {
	for _, c := range []struct {
		name                string
		total, nonTrainable int
	}{
		{"shallow", 50890, 0},
		{"intermediate", 55050, 0},
		{"deep", 59978, 384},
		{"regression", 1185, 96},
		{"learning-speed", 28510, 0},
		{"lenet", 1199882, 0},
	} {
		ex, ok := Lookup(c.name)
		if !ok {
			t.Fatalf("no example %s", c.name)
		}
		m, err := ex.Model(1)
		if err != nil {
			t.Fatal(err)
		}
		total, trainable := m.CountParams()
		if total != c.total || total-trainable != c.nonTrainable {
			t.Errorf("%s: %d params, %d non-trainable; Keras has %d and %d", c.name, total, total-trainable, c.total, c.nonTrainable)
		}
	}
}
