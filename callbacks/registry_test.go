package callbacks

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFromConfig(t *testing.T) {
	cb, err := FromConfig("EarlyStopping", json.RawMessage(`{"monitor": "val_accuracy", "patience": 3}`))
	if err != nil {
		t.Fatal(err)
	}
	if es := cb.(*EarlyStopping); es.Monitor != "val_accuracy" || es.Patience != 3 {
		t.Errorf("config not applied: %+v", es)
	}
	if cb, err := FromConfig("TerminateOnNaN", nil); err != nil || cb == nil {
		t.Errorf("TerminateOnNaN: %v, %v", cb, err)
	}
	for _, c := range []struct{ class, config, want string }{
		{"EarlyStoping", ``, `unknown callback "EarlyStoping" (valid: CSVLogger, EarlyStopping, LearningSpeed, ModelCheckpoint, ReduceLROnPlateau, TensorBoard, TerminateOnNaN)`},
		{"EarlyStopping", `{"patience": "3"}`, `callback EarlyStopping: field "patience" must be an integer, not string`},
		{"CSVLogger", `{"file": "x.csv"}`, `callback CSVLogger: unknown field "file" (valid: filename, separator, append)`},
	} {
		_, err := FromConfig(c.class, json.RawMessage(c.config))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s %s: %v\nwant %s", c.class, c.config, err, c.want)
		}
	}
	if got := strings.Join(Names(), ","); !strings.HasPrefix(got, "CSVLogger,EarlyStopping,") {
		t.Errorf("Names = %s", got)
	}
}
