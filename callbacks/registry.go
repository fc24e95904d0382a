package callbacks

import (
	"encoding/json"

	"github.com/neurona/neurona/internal/registry"
)

// classes maps the Keras class names of the callbacks that a config can
// describe to constructors of their zero configs.
var classes = func() *registry.Registry[Callback] {
	r := registry.New[Callback]("callback")
	r.Register("EarlyStopping", func() Callback { return &EarlyStopping{} })
	r.Register("ModelCheckpoint", func() Callback { return &ModelCheckpoint{} })
	r.Register("CSVLogger", func() Callback { return &CSVLogger{} })
	r.Register("TerminateOnNaN", func() Callback { return &TerminateOnNaN{} })
	r.Register("ReduceLROnPlateau", func() Callback { return &ReduceLROnPlateau{} })
	r.Register("TensorBoard", func() Callback { return &TensorBoard{} })
	r.Register("LearningSpeed", func() Callback { return &LearningSpeed{} })
	return r
}()

// Names returns the callback classes FromConfig accepts, sorted.
func Names() []string { return classes.Names() }

// FromConfig returns a callback by Keras class name, configured from JSON
// ({"monitor": "val_loss", "patience": 3}). Unknown classes and fields are
// errors that list what is valid.
func FromConfig(class string, config json.RawMessage) (Callback, error) {
	return classes.New(class, config)
}
