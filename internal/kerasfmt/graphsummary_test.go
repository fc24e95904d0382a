package kerasfmt

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func graphSummaryString(t *testing.T, name string, rows []GraphRow, total, trainable int) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteGraphSummary(&buf, name, rows, total, trainable); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestWriteGraphSummaryMultiConvnet reproduces, byte for byte (trailing
// spaces included), the summary that the book's
// multi_convnet_sentiment_classifier notebook printed with Keras 2.2.0.
// testdata/multi_convnet_summary.txt is a copy of that output.
func TestWriteGraphSummaryMultiConvnet(t *testing.T) {
	want, err := os.ReadFile("testdata/multi_convnet_summary.txt")
	if err != nil {
		t.Fatal(err)
	}
	c := func(s ...string) []string { return s }
	rows := []GraphRow{
		{"input", "InputLayer", []int{400}, 0, nil, nil},
		{"embedding", "Embedding", []int{400, 64}, 320000, c("input[0][0]"), nil},
		{"drop_embed", "SpatialDropout1D", []int{400, 64}, 0, c("embedding[0][0]"), nil},
		{"conv_1", "Conv1D", []int{398, 256}, 49408, c("drop_embed[0][0]"), nil},
		{"conv_2", "Conv1D", []int{399, 256}, 33024, c("drop_embed[0][0]"), nil},
		{"conv_3", "Conv1D", []int{397, 256}, 65792, c("drop_embed[0][0]"), nil},
		{"maxp_1", "GlobalMaxPooling1D", []int{256}, 0, c("conv_1[0][0]"), nil},
		{"maxp_2", "GlobalMaxPooling1D", []int{256}, 0, c("conv_2[0][0]"), nil},
		{"maxp_3", "GlobalMaxPooling1D", []int{256}, 0, c("conv_3[0][0]"), nil},
		{"concatenate_1", "Concatenate", []int{768}, 0, c("maxp_1[0][0]", "maxp_2[0][0]", "maxp_3[0][0]"), nil},
		{"dense", "Dense", []int{256}, 196864, c("concatenate_1[0][0]"), nil},
		{"drop_dense", "Dropout", []int{256}, 0, c("dense[0][0]"), nil},
		{"dense_2", "Dense", []int{64}, 16448, c("drop_dense[0][0]"), nil},
		{"drop_dense_2", "Dropout", []int{64}, 0, c("dense_2[0][0]"), nil},
		{"output", "Dense", []int{1}, 65, c("drop_dense_2[0][0]"), nil},
	}
	checkText(t, graphSummaryString(t, "", rows, 681601, 681601), string(want))
}

// TestWriteGraphSummaryRules is a small branching model written out by hand
// from print_summary's rules (Keras 2.2.0, keras/utils/layer_utils.py):
// stops [32, 53, 65, 98], each row padded to 98 characters; a name longer
// than the first column cut so that its 32nd character is the separating
// space; a layer without a single output shape printed as "multiple"; a
// merge's second and third inbound tensors on rows of their own whose first
// three fields are empty; a connection cut at column 98 (the last field is
// followed by no separating space); and, with a model
// name, the `Model: "name"` line first.
func TestWriteGraphSummaryRules(t *testing.T) {
	rows := []GraphRow{
		{"in", "InputLayer", []int{8}, 0, nil, nil},
		{"a_dense_layer_with_a_long_name", "Dense", []int{4}, 36, []string{"in[0][0]"}, nil},
		{"shared", "Dense", nil, 20, []string{"in[0][0]", "a_dense_layer_with_a_long_name[0][0]"}, nil},
		{"add_1", "Add", []int{-1, 4}, 0, []string{"shared[0][0]", "shared[1][0]", strings.Repeat("x", 40) + "[0][0]"}, nil},
	}
	pad := func(s string) string { return s + strings.Repeat(" ", 98-len([]rune(s))) + "\n" }
	rule := func(c string) string { return strings.Repeat(c, 98) + "\n" }
	//                0         1         2         3         4         5         6         7
	//                01234567890123456789012345678901234567890123456789012345678901234567890123456789
	want := `Model: "branchy"` + "\n" +
		rule("_") +
		pad("Layer (type)                    Output Shape         Param #     Connected to") +
		rule("=") +
		pad("in (InputLayer)                 (None, 8)            0") +
		rule("_") +
		pad("a_dense_layer_with_a_long_name  (None, 4)            36          in[0][0]") +
		rule("_") +
		pad("shared (Dense)                  multiple             20          in[0][0]") +
		pad("                                                                 a_dense_layer_with_a_long_name[0]") +
		rule("_") +
		pad("add_1 (Add)                     (None, None, 4)      0           shared[0][0]") +
		pad("                                                                 shared[1][0]") +
		pad("                                                                 "+strings.Repeat("x", 33)) +
		rule("=") +
		"Total params: 56\n" +
		"Trainable params: 36\n" +
		"Non-trainable params: 20\n" +
		rule("_")
	got := graphSummaryString(t, "branchy", rows, 56, 36)
	checkText(t, got, want)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if n := len([]rune(line)); n > 98 {
			t.Errorf("line %q has %d characters, more than 98", line, n)
		}
	}
}

// A model with no layers prints the header, then the totals.
func TestWriteGraphSummaryEmpty(t *testing.T) {
	want := strings.Repeat("_", 98) + "\n" +
		"Layer (type)                    Output Shape         Param #     Connected to                     \n" +
		strings.Repeat("=", 98) + "\n" +
		"Total params: 0\nTrainable params: 0\nNon-trainable params: 0\n" +
		strings.Repeat("_", 98) + "\n"
	checkText(t, graphSummaryString(t, "", nil, 0, 0), want)
}

func TestWriteGraphSummaryError(t *testing.T) {
	fw := &failWriter{}
	if err := WriteGraphSummary(fw, "m", []GraphRow{{Name: "a", Class: "B"}}, 0, 0); err != errWrite {
		t.Fatalf("err = %v, want %v", err, errWrite)
	}
	if fw.n != 1 {
		t.Fatalf("WriteGraphSummary made %d writes, want 1", fw.n)
	}
}

// TestWriteSummaryFunctionalChain checks the 65-column layout on the GAN
// notebook's discriminator, a functional chain that Keras 2.2.0 prints in
// the Sequential layout with an input_1 (InputLayer) row first and 4-D
// output shapes. testdata/gan_discriminator_summary.txt is that output;
// WriteSummary trims trailing spaces, leaves out the closing rule and adds
// the Model line, so those are the only differences.
func TestWriteSummaryFunctionalChain(t *testing.T) {
	keras, err := os.ReadFile("testdata/gan_discriminator_summary.txt")
	if err != nil {
		t.Fatal(err)
	}
	rows := []SummaryRow{
		{"input_1", "InputLayer", []int{28, 28, 1}, 0, nil},
		{"conv2d_1", "Conv2D", []int{14, 14, 64}, 1664, nil},
		{"dropout_1", "Dropout", []int{14, 14, 64}, 0, nil},
		{"conv2d_2", "Conv2D", []int{7, 7, 128}, 204928, nil},
		{"dropout_2", "Dropout", []int{7, 7, 128}, 0, nil},
		{"conv2d_3", "Conv2D", []int{4, 4, 256}, 819456, nil},
		{"dropout_3", "Dropout", []int{4, 4, 256}, 0, nil},
		{"conv2d_4", "Conv2D", []int{4, 4, 512}, 3277312, nil},
		{"dropout_4", "Dropout", []int{4, 4, 512}, 0, nil},
		{"flatten_1", "Flatten", []int{8192}, 0, nil},
		{"dense_1", "Dense", []int{1}, 8193, nil},
	}
	var want strings.Builder
	want.WriteString("Model: \"model_1\"\n")
	lines := strings.Split(strings.TrimSuffix(string(keras), "\n"), "\n")
	for _, l := range lines[:len(lines)-1] { // the closing rule is left out
		want.WriteString(strings.TrimRight(l, " ") + "\n")
	}
	got := summaryString(t, "model_1", rows, 4311553, 4311553)
	checkText(t, got, want.String())
	if !strings.Contains(got, "\ninput_1 (InputLayer)         (None, 28, 28, 1)         0\n") {
		t.Errorf("no InputLayer row in:\n%s", got)
	}
}
