package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neurona/neurona/internal/cdp"
)

// The dashboard in a real browser: headless Chromium, driven over the
// DevTools protocol (internal/cdp). These tests run when
// NEURONA_BROWSER_TEST=1, as .ci/run sets; they save their screenshots in
// $NEURONA_SCREENSHOTS when it is set, else in the test's artifact
// directory (go test -artifacts).

func startBrowser(t *testing.T) *cdp.Browser {
	t.Helper()
	if os.Getenv("NEURONA_BROWSER_TEST") != "1" {
		t.Skip("set NEURONA_BROWSER_TEST=1 to run the headless Chromium tests")
	}
	path, err := cdp.Find()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	b, err := cdp.Start(ctx, path, t.TempDir(), 1000, 900)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// serving is a neurona process that serves a dashboard.
type serving struct {
	cmd    *exec.Cmd
	url    string
	stderr *strings.Builder
	exited chan error
}

var dashAddr = regexp.MustCompile(`dashboard at (http://[^/ ]+/)`)

// serve starts neurona with args and waits for it to print the
// dashboard's address.
func serve(t *testing.T, args ...string) *serving {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "NEURONA_TEST_MAIN=1")
	cmd.Stdout = io.Discard
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &serving{cmd: cmd, stderr: &strings.Builder{}, exited: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.stderr.WriteString(sc.Text() + "\n")
			if m := dashAddr.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { err := cmd.Wait(); pw.Close(); s.exited <- err }()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case s.url = <-found:
	case err := <-s.exited:
		t.Fatalf("neurona %s exited before serving: %v", strings.Join(args, " "), err)
	case <-time.After(60 * time.Second):
		t.Fatal("neurona printed no dashboard address in 60 s")
	}
	return s
}

// stop interrupts the process, which must then exit 0.
func (s *serving) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-s.exited:
		if err != nil {
			t.Errorf("after Ctrl-C: %v\n%s", err, s.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Error("neurona did not stop 20 s after Ctrl-C")
	}
}

func screenshot(t *testing.T, b *cdp.Browser, ctx context.Context, selector, name string) {
	t.Helper()
	png, err := b.Screenshot(ctx, selector)
	if err != nil {
		t.Fatalf("screenshot of %s: %v", selector, err)
	}
	dir := os.Getenv("NEURONA_SCREENSHOTS")
	if dir == "" {
		dir = t.ArtifactDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// show scrolls a section of the page into view, where the page draws it,
// and waits until it is drawn.
func show(t *testing.T, b *cdp.Browser, ctx context.Context, id string) {
	t.Helper()
	eval[any](t, b, ctx, `document.getElementById("`+id+`").scrollIntoView()`)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := b.WaitTrue(wctx, `!document.getElementById("`+id+`").dataset.stale`); err != nil {
		t.Fatalf("%v: %s", err, eval[string](t, b, context.Background(), `(()=>{let e="";try{drawStale()}catch(x){e=String(x)+x.stack};const r=document.getElementById("`+id+`").getBoundingClientRect();return r.top+" "+r.bottom+" "+window.innerHeight+" "+e})()`))
	}
}

func eval[T any](t *testing.T, b *cdp.Browser, ctx context.Context, expr string) T {
	t.Helper()
	var v T
	if err := b.Eval(ctx, expr, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// neurona run deep --dashboard: the curves receive a point as each epoch
// ends, the summary shows the model's rows, the learning speed and the
// histograms are drawn, and a click on a neuron shows its arithmetic, on a
// validation row and on a digit drawn on the canvas.
func TestBrowserLiveRun(t *testing.T) {
	b := startBrowser(t)
	const epochs = 20
	s := serve(t, "run", "deep", "--epochs", fmt.Sprint(epochs), "--batch-size", "64", "--dashboard=127.0.0.1:0", "--hold", "--verbose", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := b.Navigate(ctx, s.url); err != nil {
		t.Fatal(err)
	}
	// The points of the epoch curve of "loss", sampled while it trains.
	const points = `(()=>{const p=document.querySelector('#epochs path.series[data-name$=": loss"]');return p?+p.dataset.points:0})()`
	const done = `document.getElementById("runs").textContent.includes("(done)")`
	seen := map[int]bool{}
	var order []int
	batchCounts := map[int]bool{} // of the batch curve's points
	for {
		n := eval[int](t, b, ctx, points)
		if !seen[n] {
			seen[n] = true
			order = append(order, n)
		}
		if k := eval[int](t, b, ctx, `(()=>{const p=document.querySelector('#batches path.series');return p?+p.dataset.points:0})()`); k > 0 {
			batchCounts[k] = true
		}
		if eval[bool](t, b, ctx, done) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the run did not end; points seen %v\n%s", order, s.stderr)
		}
		time.Sleep(40 * time.Millisecond)
	}
	if err := b.WaitTrue(ctx, points+" === "+fmt.Sprint(epochs)); err != nil {
		t.Fatalf("%v; points seen %v", err, order)
	}
	order = append(order, epochs)
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Fatalf("the epoch curve went from %d to %d points", order[i-1], order[i])
		}
	}
	mid := 0
	for _, n := range order {
		if n > 0 && n < epochs {
			mid++
		}
	}
	if mid < 3 {
		t.Errorf("the page saw the epoch curve with %v points: fewer than 3 counts between 0 and %d, so it did not update as epochs ended", order, epochs)
	}
	if len(batchCounts) < 3 {
		t.Errorf("the batch curve was drawn with %d different numbers of points while it trained, want at least 3", len(batchCounts))
	}
	t.Logf("epoch points seen while training: %v", order)

	show(t, b, ctx, "model")
	rows := eval[[]string](t, b, ctx, `[...document.querySelectorAll("#summary-table tr")].slice(1).map(r=>r.cells[0].textContent)`)
	want := []string{"dense_1 (Dense)", "batch_normalization_1 (Batch", "dense_2 (Dense)", "batch_normalization_2 (Batch", "dense_3 (Dense)", "batch_normalization_3 (Batch", "dropout_1 (Dropout)", "dense_4 (Dense)"}
	if strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("summary rows %q, want %q", rows, want)
	}
	if totals := eval[string](t, b, ctx, `document.getElementById("summary").textContent`); !strings.Contains(totals, "Total params: 59,978") {
		t.Errorf("summary %q lacks the total of 59,978 params", totals)
	}
	show(t, b, ctx, "learning-speed")
	if n := eval[int](t, b, ctx, `document.querySelectorAll("#speed path.series").length`); n != 7 {
		t.Errorf("the learning-speed chart has %d layers, want 7 (4 Dense, 3 BatchNormalization)", n)
	}
	if n := eval[int](t, b, ctx, `Math.min(...[...document.querySelectorAll("#speed path.series")].map(p=>+p.dataset.points))`); n != epochs {
		t.Errorf("the learning-speed curves have %d points, want %d", n, epochs)
	}
	show(t, b, ctx, "histograms")
	hists := eval[[]string](t, b, ctx, `[...document.querySelectorAll("#hists svg.hist")].map(s=>s.dataset.name+"/"+s.dataset.kind)`)
	if len(hists) != 14*2+6 || hists[0] != "dense_1/kernel/weight" || hists[1] != "dense_1/kernel/gradient" || hists[8] != "batch_normalization_1/moving_mean/weight" {
		t.Errorf("histograms %q, want a weight and a gradient for each of the 14 trainable weights, and the 6 moving statistics", hists)
	}

	// The forward pass of validation row 0, then a click on a neuron.
	show(t, b, ctx, "forward-pass")
	if err := b.WaitTrue(ctx, `document.querySelectorAll("#forward .neuron").length > 0`); err != nil {
		t.Fatal(err)
	}
	click := `(()=>{const l=[...document.querySelectorAll("#forward .layer")].find(d=>d.textContent.startsWith("dense_2"));l.querySelector(".neuron").click()})()`
	eval[any](t, b, ctx, click)
	if txt := eval[string](t, b, ctx, `document.getElementById("neuron").textContent`); !regexp.MustCompile(`^dense_2 \S+: z = .*\(64 terms\) \+ \S+ = \S+; relu → \S+$`).MatchString(txt) {
		t.Errorf("clicked neuron shows %q, want its z = w·x + b with 64 terms", txt)
	}
	out0 := eval[string](t, b, ctx, `document.getElementById("forward-output").textContent`)
	if strings.Count(out0, ",") != 9 {
		t.Errorf("forward output %q, want 10 values", out0)
	}
	// Draw a vertical stroke on the canvas and run it.
	eval[any](t, b, ctx, `(()=>{const c=document.getElementById("digit"),r=c.getBoundingClientRect();
		const ev=(type,y)=>c.dispatchEvent(new PointerEvent(type,{clientX:r.left+140,clientY:r.top+y,bubbles:true}));
		ev("pointerdown",50);for(let y=50;y<=230;y+=5)ev("pointermove",y);ev("pointerup",230);document.getElementById("digit-go").click()})()`)
	if err := b.WaitTrue(ctx, `document.getElementById("forward-output").textContent !== `+fmt.Sprintf("%q", out0)); err != nil {
		t.Fatal(err)
	}
	if txt := eval[string](t, b, ctx, `document.querySelector("#forward .layer").textContent`); !strings.HasPrefix(txt, "dense_1") {
		t.Errorf("the drawing's forward pass starts with %q", txt)
	}
	eval[any](t, b, ctx, click)

	screenshot(t, b, ctx, "#forward-pass", "dashboard-forward-pass.png")
	for _, sec := range []string{"curves", "model", "learning-speed", "histograms"} {
		show(t, b, ctx, sec)
	}
	screenshot(t, b, ctx, "#curves", "dashboard-curves.png")
	screenshot(t, b, ctx, "#model", "dashboard-summary.png")
	screenshot(t, b, ctx, "#learning-speed", "dashboard-learning-speed.png")
	screenshot(t, b, ctx, "#histograms", "dashboard-histograms.png")
	s.stop(t)
}

// neurona dashboard DIR: three past runs overlaid, and the forward pass
// of the seed's worked example with its numbers (z = 1.6, 0.1192).
func TestBrowserPastRuns(t *testing.T) {
	b := startBrowser(t)
	dir := t.TempDir()
	for seed := 1; seed <= 3; seed++ {
		if _, errs, code := neurona(t, nil, "run", "regression", "--epochs", "6", "--verbose", "0", "--seed", fmt.Sprint(seed),
			"--history", filepath.Join(dir, fmt.Sprintf("regression-seed%d.csv", seed))); code != 0 {
			t.Fatalf("regression seed %d: exit %d: %s", seed, code, errs)
		}
	}
	src, err := os.ReadFile("../../examples/specs/forward-propagation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "forward-propagation.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	s := serve(t, "dashboard", dir, "--addr", "127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.Navigate(ctx, s.url); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitTrue(ctx, `document.querySelectorAll("#epochs path.series").length >= 6 && document.querySelectorAll("#runs label").length === 3`); err != nil {
		t.Fatal(err)
	}
	series := eval[[]string](t, b, ctx, `[...document.querySelectorAll("#epochs path.series")].map(p=>p.dataset.name+" "+p.dataset.points)`)
	for seed := 1; seed <= 3; seed++ {
		for _, k := range []string{"loss", "val_loss"} {
			w := fmt.Sprintf("regression-seed%d: %s 6", seed, k)
			if !strings.Contains(strings.Join(series, "|"), w) {
				t.Errorf("epoch curves %q lack %q", series, w)
			}
		}
	}
	screenshot(t, b, ctx, "#curves", "dashboard-past-runs.png")
	// Hide two runs: their curves go.
	for _, r := range []string{"seed2", "seed3"} { // a click redraws the labels
		eval[any](t, b, ctx, `[...document.querySelectorAll("#runs label")].find(l=>l.textContent.includes("`+r+`")).querySelector("input").click()`)
	}
	if n := eval[int](t, b, ctx, `document.querySelectorAll("#epochs path.series").length`); n != 2 {
		t.Errorf("%d epoch curves after hiding two of three runs, want 2", n)
	}

	show(t, b, ctx, "forward-pass")
	if err := b.WaitTrue(ctx, `document.querySelectorAll("#forward .neuron").length > 0`); err != nil {
		t.Fatal(err)
	}
	eval[any](t, b, ctx, `[...document.querySelectorAll("#forward .layer")][0].querySelector(".neuron").click()`)
	txt := eval[string](t, b, ctx, `document.getElementById("neuron").textContent`)
	if !strings.Contains(txt, "z = ") || !strings.Contains(txt, "= 1.600;") {
		t.Errorf("the first neuron shows %q, want z = … = 1.600", txt)
	}
	if out := eval[string](t, b, ctx, `document.getElementById("forward-output").textContent`); !strings.Contains(out, "0.1192") {
		t.Errorf("forward output %q, want 0.1192", out)
	}
	screenshot(t, b, ctx, "#forward-pass", "dashboard-forward-propagation.png")
	s.stop(t)
}

// A functional model's summary is drawn as a graph: a box per layer, an
// arrow per "Connected to" entry.
func TestBrowserGraph(t *testing.T) {
	b := startBrowser(t)
	dir := t.TempDir()
	spec := filepath.Join(dir, "wide-deep.yaml")
	if err := os.WriteFile(spec, []byte(`model:
  layers:
    - Input: {name: features, shape: [13]}
    - Dense: {name: deep_1, units: 32, activation: relu}
    - Dense: {name: deep_2, units: 16, activation: relu}
    - Dense: {name: wide, units: 4, activation: relu}
      inputs: [features]
    - Concatenate: {name: both}
      inputs: [deep_2, wide]
    - Dense: {name: price, units: 1}
compile: {loss: mean_squared_error, optimizer: adam}
data: {builtin: boston}
fit: {epochs: 3, batch_size: 32, seed: 1}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := serve(t, "train", spec, "--dashboard=127.0.0.1:0", "--hold", "--verbose", "0")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.Navigate(ctx, s.url); err != nil {
		t.Fatal(err)
	}
	show(t, b, ctx, "model")
	if err := b.WaitTrue(ctx, `document.querySelectorAll("#graph g.node").length > 0`); err != nil {
		t.Fatal(err)
	}
	nodes := eval[[]string](t, b, ctx, `[...document.querySelectorAll("#graph g.node")].map(g=>g.dataset.name)`)
	if strings.Join(nodes, " ") != "features deep_1 deep_2 wide both price" {
		t.Errorf("graph boxes %q", nodes)
	}
	if n := eval[int](t, b, ctx, `document.querySelectorAll("#graph line.edge").length`); n != 6 {
		t.Errorf("%d arrows, want 6 (features→deep_1, deep_1→deep_2, features→wide, deep_2→both, wide→both, both→price)", n)
	}
	screenshot(t, b, ctx, "#model", "dashboard-graph.png")
	s.stop(t)
}

// neurona run weight-init with two initializers: their activation
// histograms side by side, with the saturated units counted.
func TestBrowserWeightInit(t *testing.T) {
	b := startBrowser(t)
	s := serve(t, "run", "weight-init", "--initializer", "random_normal,glorot_normal", "--dashboard=127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.Navigate(ctx, s.url); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitTrue(ctx, `document.querySelectorAll("#runs label").length === 2`); err != nil {
		t.Fatal(err)
	}
	show(t, b, ctx, "histograms")
	caps := eval[[]string](t, b, ctx, `[...document.querySelectorAll("#hists figure")].map(f=>f.querySelector("svg").dataset.kind+": "+f.querySelector("figcaption").textContent)`)
	re := regexp.MustCompile(`^activation: (random_normal|glorot_normal), sigmoid: (\d+) of 256 units saturated$`)
	if len(caps) != 2 {
		t.Fatalf("histograms %q, want the two activation histograms", caps)
	}
	for i, want := range []string{"random_normal", "glorot_normal"} {
		m := re.FindStringSubmatch(caps[i])
		if m == nil || m[1] != want {
			t.Fatalf("histogram %d is %q, want %s's", i, caps[i], want)
		}
		n, _ := strconv.Atoi(m[2])
		if (want == "random_normal") != (n >= 180) || (want == "glorot_normal" && n > 2) {
			t.Errorf("%s: %d of 256 saturated", want, n)
		}
	}
	screenshot(t, b, ctx, "#histograms", "dashboard-weight-init.png")
	s.stop(t)
}

// neurona run gan --dashboard: the sample grids appear as they are
// written, with the losses and the adversarial model's summary.
func TestBrowserGAN(t *testing.T) {
	b := startBrowser(t)
	out := t.TempDir()
	start := time.Now()
	s := serve(t, "run", "gan", "--iterations", "40", "--every", "10", "--batch", "16", "--no-score", "--out", out, "--dashboard=127.0.0.1:0", "--hold")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := b.Navigate(ctx, s.url); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 90*time.Second)
	defer wcancel()
	if err := b.WaitTrue(wctx, `document.getElementById("runs").textContent.includes("(done)")`); err != nil {
		t.Fatalf("%v\npage: %s\n%s", err, eval[string](t, b, ctx, `document.body.innerText.slice(0, 600)`), s.stderr)
	}
	t.Logf("done %v after the start", time.Since(start))
	show(t, b, ctx, "image-section")
	ictx, icancel := context.WithTimeout(ctx, 30*time.Second)
	defer icancel()
	if err := b.WaitTrue(ictx, `(()=>{const i=[...document.querySelectorAll("#images img")];return i.length===4&&i.every(x=>x.complete&&x.naturalWidth===448)})()`); err != nil {
		t.Fatalf("%v: images %q", err, eval[[]string](t, b, ctx, `[...document.querySelectorAll("#images img")].map(i=>i.title+" "+i.naturalWidth)`))
	}
	if got := eval[string](t, b, ctx, `document.querySelector("#images img").title`); got != "samples_0039.png" {
		t.Errorf("the first image is %q, want the newest grid, samples_0039.png", got)
	}
	// The page draws within a second of the last event, the sections on
	// screen.
	show(t, b, ctx, "curves")
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	const series = `[...document.querySelectorAll("#epochs path.series")].map(p=>p.dataset.name+" "+p.dataset.points).join("|")`
	if err := b.WaitTrue(cctx, series+` === "gan: d_loss 4|gan: d_acc 4|gan: a_loss 4|gan: a_acc 4"`); err != nil {
		t.Errorf("curves %q: %v", eval[string](t, b, ctx, series), err)
	}
	if n := eval[int](t, b, ctx, `+document.querySelector("#batches path.series").dataset.points`); n != 40 {
		t.Errorf("the iteration curve has %d points, want 40", n)
	}
	t.Logf("%v after the start", time.Since(start))
	show(t, b, ctx, "model")
	if rows := eval[[]string](t, b, ctx, `[...document.querySelectorAll("#summary-table tr")].slice(1).map(r=>r.cells[0].textContent)`); strings.Join(rows, "|") != "input_3 (InputLayer)|model_2 (Model)|model_1 (Model)" {
		t.Errorf("the adversarial model's summary rows %q", rows)
	}
	screenshot(t, b, ctx, "#image-section", "dashboard-gan-samples.png")
	s.stop(t)
}
