package datasets

import (
	"io"
	"slices"
	"strings"
	"testing"
)

// TestReadCSVText reads a text column: quoted cells with the delimiter,
// doubled quotes and line breaks inside, tabs, empty texts, class names,
// and the columns that are neither text nor target left unread.
func TestReadCSVText(t *testing.T) {
	in := "id,review,stars,label\n" +
		"a1,\"good, really good\",x,pos\n" +
		"a2,\"he said \"\"bad\"\"\",y,neg\n" +
		"a3,\"two\nlines\",z,pos\n" +
		"a4,,w,neg\n"
	texts, y, classes, err := ReadCSVTextClasses(strings.NewReader(in), CSVOptions{Name: "r.csv", Text: "review", Targets: []string{"label"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"good, really good", `he said "bad"`, "two\nlines", ""}
	if !slices.Equal(texts, want) {
		t.Errorf("texts %q, want %q", texts, want)
	}
	if !slices.Equal(classes, []string{"neg", "pos"}) || !slices.Equal(y.Data, []float32{1, 0, 1, 0}) || !slices.Equal(y.Shape, []int{4, 1}) {
		t.Errorf("classes %v, y %v %v", classes, y.Shape, y.Data)
	}
	// Tab-separated, numeric targets, no targets.
	tsv := "sentence\tlabel\nit was good\t1\nit was bad\t0\n"
	texts, y, err = ReadCSVText(strings.NewReader(tsv), CSVOptions{Delimiter: '\t', Text: "sentence", Targets: []string{"label"}})
	if err != nil || !slices.Equal(texts, []string{"it was good", "it was bad"}) || !slices.Equal(y.Data, []float32{1, 0}) {
		t.Errorf("tsv: %q %v %v", texts, y, err)
	}
	texts, y, err = ReadCSVText(strings.NewReader(tsv), CSVOptions{Delimiter: '\t', Text: "sentence"})
	if err != nil || len(texts) != 2 || y != nil {
		t.Errorf("no targets: %q %v %v", texts, y, err)
	}
	// Known classes.
	_, _, err = ReadCSVText(strings.NewReader(in), CSVOptions{Name: "r.csv", Text: "review", Targets: []string{"label"}, Classes: []string{"neg", "ok"}})
	wantErrParts(t, "unknown class", err, `r.csv: line 2, column "label": "pos" is not one of the model's classes (neg, ok)`)

	for _, c := range []struct {
		opts CSVOptions
		in   string
		want string
	}{
		{CSVOptions{Name: "r.csv", Text: "text"}, in, `r.csv: missing column "text" (columns: id, review, stars, label)`},
		{CSVOptions{Name: "r.csv", Text: "review", Features: []string{"stars"}}, in, `r.csv: the text column "review" is the input: it cannot be combined with feature columns (stars)`},
		{CSVOptions{Name: "r.csv", Text: "label", Targets: []string{"label"}}, in, `r.csv: column "label" is both the text and a target`},
		{CSVOptions{Name: "r.csv", Text: "id", Exclude: []string{"id"}}, in, `r.csv: column "id" is both the text and excluded`},
		{CSVOptions{Name: "r.csv"}, in, `r.csv: no text column named`},
		{CSVOptions{Name: "r.csv", Text: "review"}, "review\n", `r.csv: no data rows`},
		{CSVOptions{Name: "r.csv", Text: "review", Targets: []string{"label"}}, "review,label\ngood,1\nbad\n", `r.csv: line 3: 1 fields, the header has 2`},
		{CSVOptions{Name: "r.csv", Text: "review", Targets: []string{"label"}}, "review,label\ngood,1\nbad,x\n", `r.csv: line 3, column "label": "x" is not a number`},
		{CSVOptions{Name: "r.csv", Text: "review"}, "review\nit is \"good\"\n", `r.csv: line 2, byte 7: bare " in non-quoted-field`},
	} {
		_, _, err := ReadCSVText(strings.NewReader(c.in), c.opts)
		wantErrParts(t, c.want, err, c.want)
	}
}

// TestCSVReaderNextText reads a text column in chunks.
func TestCSVReaderNextText(t *testing.T) {
	var b strings.Builder
	b.WriteString("t,y\n")
	for i := range 10 {
		b.WriteString("\"word " + strings.Repeat("x", i) + ", more\"," + string(rune('0'+i%2)) + "\n")
	}
	r, err := NewCSVReader(strings.NewReader(b.String()), CSVOptions{Text: "t", Targets: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	var ys []float32
	for {
		texts, y, err := r.NextText(4)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(texts) != y.Rows() || len(texts) > 4 {
			t.Fatalf("%d texts, %d targets", len(texts), y.Rows())
		}
		all = append(all, texts...)
		ys = append(ys, y.Data...)
	}
	if len(all) != 10 || all[3] != "word xxx, more" || !slices.Equal(ys, []float32{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}) {
		t.Errorf("texts %q, targets %v", all, ys)
	}
	defer func() {
		if recover() == nil {
			t.Error("NextText without a text column did not panic")
		}
	}()
	r, _ = NewCSVReader(strings.NewReader("a\n1\n"), CSVOptions{})
	r.NextText(1)
}
