package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
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

// TestRunSentimentROCAUC: the sentiment runs end with the notebook's ROC
// AUC line, computed with the weights of the chosen epoch: the checkpoint
// of an earlier epoch (checked against an independent prediction from that
// file), the final weights for the last epoch, and the lowest val_loss
// when the chosen epoch was not trained.
func TestRunSentimentROCAUC(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	runAUC := func(extra ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args := append([]string{"run", "dense-sentiment", "--data", "rt-polarity", "--epochs", "2", "--verbose", "0"}, extra...)
		if code := run(context.Background(), args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", extra, code, out.String(), errb.String())
		}
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "ROC AUC") {
				return l
			}
		}
		t.Fatalf("%v: no ROC AUC line in:\n%s", extra, out.String())
		return ""
	}
	// The spec's roc_auc is the notebook's epoch 2: here the last one.
	if l := runAUC(); !strings.Contains(l, "weights of epoch 2 (the chosen epoch)") {
		t.Errorf("default: %q", l)
	}
	l1 := runAUC("--auc-epoch", "1")
	s, err := spec.Book("dense-sentiment")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UseRTPolarity(spec.RTPolarityMaxLen); err != nil {
		t.Fatal(err)
	}
	_, valid, _, err := s.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.Load(filepath.Join(dir, "dense-sentiment.weights.01.nrn"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict(valid.X)
	if err != nil {
		t.Fatal(err)
	}
	scores, labels := make([]float64, valid.Len()), make([]float64, valid.Len())
	for i := range scores {
		scores[i], labels[i] = float64(p.Data[i]), float64(valid.Y.Data[i])
	}
	auc, err := metrics.ROCAUC(scores, labels)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("ROC AUC of the %d validation samples with the weights of epoch 1 (the chosen epoch): %0.2f", valid.Len(), auc*100)
	if l1 != want {
		t.Errorf("--auc-epoch 1:\n got %q\nwant %q", l1, want)
	}
	if auc < 0.6 {
		t.Errorf("ROC AUC %.4f after one epoch on rt-polarity, want above 0.6", auc)
	}
	if l := runAUC("--auc-epoch", "5"); !strings.Contains(l, "the lowest val_loss; epoch 5 was not trained") {
		t.Errorf("--auc-epoch 5: %q", l)
	}
}
