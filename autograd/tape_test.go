package autograd

import "testing"

func TestRegisterGivesEachOpItsOwnID(t *testing.T) {
	seen := map[string]bool{}
	for id, o := range ops {
		if seen[o.name] {
			t.Errorf("op %q registered twice", o.name)
		}
		seen[o.name] = true
		if o.backward == nil {
			t.Errorf("op %q has no backward function", o.name)
		}
		if got := op(id).String(); got != o.name {
			t.Errorf("op %d is named %q, want %q", id, got, o.name)
		}
	}
	if opConv2D.String() != "conv2d" || opAdd.String() != "add" {
		t.Errorf("ids do not name their ops: %v, %v", opConv2D, opAdd)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	n := len(ops)
	defer func() {
		if recover() == nil {
			t.Error("registering \"add\" again did not panic")
		}
		if len(ops) != n {
			t.Errorf("a refused registration changed the table: %d ops, want %d", len(ops), n)
		}
	}()
	register("add", addBackward)
}
