package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/spec"
)

// TestRunSentimentRTPolarity trains the book's conv net for one epoch on
// the embedded sentences, end to end, and checks its per-epoch checkpoint.
func TestRunSentimentRTPolarity(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"run", "conv-sentiment", "--data", "rt-polarity", "--epochs", "1", "--verbose", "0"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "val_accuracy") {
		t.Errorf("no validation accuracy in:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "conv-sentiment.weights.01.nrn")); err != nil {
		t.Errorf("no checkpoint: %v", err)
	}
}

// TestRunSentimentNoIMDB checks that without imdb.npz (and no download)
// run fails with one line that says where to put it or to pass --data
// rt-polarity.
func TestRunSentimentNoIMDB(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	old := spec.IMDBURL
	spec.IMDBURL = srv.URL + "/imdb.npz"
	defer func() { spec.IMDBURL = old }()
	cache := t.TempDir()
	t.Setenv("NEURONA_DATA", cache)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"run", "dense-sentiment", "--epochs", "1", "--verbose", "0"}, &out, &errb)
	if code == 0 {
		t.Fatal("run without imdb.npz succeeded")
	}
	msg := strings.TrimRight(errb.String(), "\n")
	if strings.Contains(msg, "\n") {
		t.Errorf("the error is not one line:\n%s", msg)
	}
	for _, want := range []string{"imdb.npz", cache, "NEURONA_DATA", "--data rt-polarity"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error %q does not say %q", msg, want)
		}
	}
}
