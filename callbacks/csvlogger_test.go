package callbacks

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// epochLogs are the logs of a made-up epoch.
func epochLogs(epoch int) Logs {
	e := float64(epoch)
	return Logs{"loss": 1 / (e + 1), "val_loss": 2 / (e + 1.5), "acc": e / 200, "lr": 0.001}
}

// csvRows renders epochs from..to-1 of epochLogs as CSVLogger should: keys
// sorted, values in Go's shortest form.
func csvRows(from, to int) string {
	var b strings.Builder
	for e := from; e < to; e++ {
		l := epochLogs(e)
		b.WriteString(strconv.Itoa(e))
		for _, k := range []string{"acc", "loss", "lr", "val_loss"} {
			b.WriteString("," + strconv.FormatFloat(l[k], 'g', -1, 64))
		}
		b.WriteString("\n")
	}
	return b.String()
}

const csvHeader = "epoch,acc,loss,lr,val_loss\n"

// 200 epochs give the header and 200 rows, appended to one file in place
// (the file is never replaced by a rewritten copy); Append continues it
// without repeating the header, and Append false starts it anew.
func TestCSVLoggerAppendsInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.csv")
	m := newFake()
	c := &CSVLogger{Filename: path}
	c.SetModel(m)
	c.OnTrainBegin(Logs{})
	c.OnEpochEnd(0, epochLogs(0))
	first, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	for e := 1; e < 200; e++ {
		c.OnEpochEnd(e, epochLogs(e))
	}
	c.OnTrainEnd(Logs{})
	if c.Err() != nil || m.stopped {
		t.Fatalf("err %v, stopped %v", c.Err(), m.stopped)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := csvHeader + csvRows(0, 200); string(b) != want {
		t.Errorf("200 epochs: got %d bytes, want %d:\n%.300s", len(b), len(want), b)
	}
	if last, err := os.Stat(path); err != nil || !os.SameFile(first, last) {
		t.Errorf("the log file was replaced during training (err %v)", err)
	}

	c = &CSVLogger{Filename: path, Append: true}
	c.OnTrainBegin(Logs{})
	for e := 200; e < 203; e++ {
		c.OnEpochEnd(e, epochLogs(e))
	}
	c.OnTrainEnd(Logs{})
	if b, _ := os.ReadFile(path); c.Err() != nil || string(b) != csvHeader+csvRows(0, 203) {
		t.Errorf("appended (err %v):\n%s", c.Err(), b[max(len(b)-200, 0):])
	}

	c = &CSVLogger{Filename: path}
	c.OnTrainBegin(Logs{})
	c.OnEpochEnd(0, epochLogs(0))
	c.OnTrainEnd(Logs{})
	if b, _ := os.ReadFile(path); c.Err() != nil || string(b) != csvHeader+csvRows(0, 1) {
		t.Errorf("Append false did not start a new file (err %v):\n%.300s", c.Err(), b)
	}
}

// A write that fails (here: no space left, /dev/full) is reported through
// Err with its cause and the file's name, and stops training.
func TestCSVLoggerWriteFailure(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	// Append true too: /dev/full reads as endless zeros, which must not be
	// read in search of a header.
	for _, appendTo := range []bool{false, true} {
		m := newFake()
		c := &CSVLogger{Filename: "/dev/full", Append: appendTo}
		c.SetModel(m)
		c.OnTrainBegin(Logs{})
		c.OnEpochEnd(0, epochLogs(0))
		c.OnEpochEnd(1, epochLogs(1))
		c.OnTrainEnd(Logs{})
		err := c.Err()
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "/dev/full") || !strings.HasPrefix(err.Error(), "CSVLogger: ") {
			t.Errorf("append %v: err %v, want a CSVLogger error naming /dev/full that wraps ENOSPC", appendTo, err)
		}
		if !m.stopped {
			t.Errorf("append %v: training was not stopped", appendTo)
		}
	}
}

// A file that cannot be created is reported at train begin.
func TestCSVLoggerOpenFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "log.csv")
	m := newFake()
	c := &CSVLogger{Filename: path}
	c.SetModel(m)
	c.OnTrainBegin(Logs{})
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), path) || !m.stopped {
		t.Errorf("err %v (stopped %v), want an error naming %s at train begin", err, m.stopped, path)
	}
	c.OnEpochEnd(0, epochLogs(0))
	c.OnTrainEnd(Logs{})
}

func BenchmarkCSVLogger200Epochs(b *testing.B) {
	dir := b.TempDir()
	logs := make([]Logs, 200)
	for e := range logs {
		logs[e] = epochLogs(e)
	}
	for i := 0; b.Loop(); i++ {
		c := &CSVLogger{Filename: filepath.Join(dir, "log"+strconv.Itoa(i)+".csv")}
		c.SetModel(newFake())
		c.OnTrainBegin(Logs{})
		for e, l := range logs {
			c.OnEpochEnd(e, l)
		}
		c.OnTrainEnd(Logs{})
		if c.Err() != nil {
			b.Fatal(c.Err())
		}
	}
}
