package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A client that appends the update events to the run it fetched holds
// what /api/runs gives at the end, the last epoch included: the server
// sends it when it stops.
func TestUpdateEventsRebuildTheRun(t *testing.T) {
	s := NewServer(nil)
	s.Interval = 5 * time.Millisecond
	r := NewRun("live")
	s.AddRun(r)
	ctx, cancel := context.WithCancel(context.Background())
	l, _, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, l) }()
	base := "http://" + l.Addr().String()
	resp, err := http.Get(base + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan update, 1000)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var u update
				if err := json.Unmarshal([]byte(d), &u); err != nil {
					t.Error(err)
				}
				events <- u
			}
		}
	}()
	for s.Broker().Clients() == 0 {
		time.Sleep(time.Millisecond)
	}

	type client struct {
		Epochs  []Epoch      `json:"epochs"`
		Batches []Point      `json:"batches"`
		Hists   []EpochHists `json:"hists"`
		Images  []string     `json:"images"`
		Done    bool         `json:"done"`
	}
	var got client
	got.Batches, got.Epochs = []Point{}, []Epoch{}
	const epochs, steps = 6, 50
	for e := range epochs {
		for b := range steps {
			r.mu.Lock()
			r.addBatchLocked(Point{Step: Number(float64(e) + float64(b+1)/steps), Loss: Number(1 / float64(1+e*steps+b))})
			r.mu.Unlock()
			if b%10 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		r.AddEpoch(e, []string{"loss"}, map[string]float64{"loss": 1 / float64(1+e)}, 0.001)
		if e%2 == 1 {
			r.AddImage(fmt.Sprintf("samples_%d.png", e))
		}
		r.mu.Lock()
		r.state.Hists = append(r.state.Hists, EpochHists{Epoch: e, Weights: []Hist{histogram("w", "weight", []float32{float32(e), 1, 2})}})
		if e == epochs-1 {
			r.state.Done = true
		}
		r.mu.Unlock()
	}
	cancel() // the last epoch goes out as the server stops
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if u := <-events; u.Type != "state" {
		t.Fatalf("the first event is %q, want the state event that makes a new client fetch the runs", u.Type)
	}
	n := 0
	for u := range events {
		n++
		if u.Type != "update" || u.From != len(got.Batches) || u.EpochsFrom != len(got.Epochs) || u.HistsFrom != len(got.Hists) || u.ImagesFrom != len(got.Images) {
			t.Fatalf("event %d: %s from %d/%d/%d, the client holds %d/%d/%d", n, u.Type, u.From, u.EpochsFrom, u.HistsFrom, len(got.Batches), len(got.Epochs), len(got.Hists))
		}
		got.Batches = append(got.Batches, u.Points...)
		got.Epochs = append(got.Epochs, u.Epochs...)
		got.Hists = append(got.Hists, u.Hists...)
		got.Images = append(got.Images, u.Images...)
		got.Done = u.Done
	}
	b, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var want client
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	var gotRound client
	gb, _ := json.Marshal(got)
	json.Unmarshal(gb, &gotRound)
	if !reflect.DeepEqual(gotRound, want) {
		t.Errorf("after %d events the client holds %d points, %d epochs, %d histograms, done %v; the run has %d, %d, %d, %v",
			n, len(got.Batches), len(got.Epochs), len(got.Hists), got.Done, len(want.Batches), len(want.Epochs), len(want.Hists), want.Done)
	}
	if n < 2 {
		t.Errorf("%d events: the run was not streamed as it went", n)
	}
	t.Logf("%d events", n)
}
