package plot

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadHistoryCSV(t *testing.T) {
	// As Keras's CSVLogger writes it: keys sorted after epoch.
	in := "epoch,loss,mae,val_loss,val_mae\r\n" +
		"0,500.5,20.1,450.25,19.5\r\n" +
		"1,100,8.5,120,9\r\n" +
		"2, 1e1 ,3,2.73e1,4.5\r\n"
	got, err := ReadHistoryCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Series{
		{"loss", []float64{500.5, 100, 10}},
		{"mae", []float64{20.1, 8.5, 3}},
		{"val_loss", []float64{450.25, 120, 27.3}},
		{"val_mae", []float64{19.5, 9, 4.5}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}

	// epoch need not come first; a BOM is ignored.
	got, err = ReadHistoryCSV(strings.NewReader("\ufeffloss,epoch\n0.5,0\n0.25,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Series{{"loss", []float64{0.5, 0.25}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestReadHistoryCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		desc, in, want string
	}{
		{"empty", "", "empty"},
		{"no epoch column", "loss,val_loss\n1,2\n", `no "epoch" column`},
		{"only epoch", "epoch\n0\n", `no column besides "epoch"`},
		{"no rows", "epoch,loss\n", "no epochs"},
		{"duplicate column", "epoch,loss,loss\n0,1,2\n", `line 1, column 3: duplicate column "loss"`},
		{"empty column name", "epoch,,loss\n0,1,2\n", "line 1, column 2: empty column name"},
		{"bad number", "epoch,loss,val_loss\n0,1,2\n1,0.5,abc\n", `line 3, column "val_loss": "abc" is not a finite number`},
		{"NA", "epoch,loss,val_loss\n0,1,NA\n", `line 2, column "val_loss": "NA" is not a finite number`},
		{"nan", "epoch,loss\n0,1\n1,nan\n", `line 3, column "loss": "nan" is not a finite number`},
		{"inf", "epoch,loss\n0,inf\n", `line 2, column "loss": "inf" is not a finite number`},
		{"empty value", "epoch,loss\n0,\n", `line 2, column "loss": "" is not a finite number`},
		{"bad epoch", "epoch,loss\n0,1\nx,2\n", `line 3, column "epoch": "x" is not a whole number`},
		{"epoch from 1", "epoch,loss\n1,1\n", `line 2, column "epoch": epoch 1, want 0`},
		{"gap", "epoch,loss\n0,1\n1,1\n3,1\n", `line 4, column "epoch": epoch 3, want 2`},
		{"appended restart", "epoch,loss\n0,1\n1,1\n0,1\n", `line 4, column "epoch": epoch 0, want 2`},
		{"short row", "epoch,loss,val_loss\n0,1,2\n1,2\n", "line 3"},
	} {
		_, err := ReadHistoryCSV(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.desc, err, tc.want)
		}
	}
}
