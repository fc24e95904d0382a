// Command dashboard measures what a connected dashboard page costs the
// training loop: it runs 'neurona run deep' without and with --dashboard,
// alternating, the second time with a headless Chromium showing the page
// live, and times each epoch by the line the --history CSV logger writes
// (and syncs) at its end, polled every 2 ms. The first epoch, which holds
// the page's load, is left out. With -client sse a Go client reads the
// event stream instead of a browser: the server's cost alone. Usage
// (from the repository root):
//
//	go run ./bench/dashboard [-pairs 5] [-epochs 12] [-client browser|sse]
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/neurona/neurona/bench/internal/benchutil"
	"github.com/neurona/neurona/internal/cdp"
)

func main() {
	pairs := flag.Int("pairs", 5, "pairs of runs, without and with the dashboard, alternating which goes first")
	epochs := flag.Int("epochs", 12, "epochs per run")
	verbose = flag.Bool("v", false, "print every epoch's time")
	client := flag.String("client", "browser", "what follows the run with the dashboard: browser (headless Chromium showing the page), sse (a Go client reading the event stream, no drawing) or none (no client: the callback's cost)")
	flag.Parse()
	log.SetFlags(0)
	tmp, err := os.MkdirTemp("", "dashbench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "neurona")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/neurona").CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}
	ctx := context.Background()
	var b *cdp.Browser
	switch *client {
	case "browser":
		path, err := cdp.Find()
		if err != nil {
			log.Fatal(err)
		}
		if b, err = cdp.Start(ctx, path, filepath.Join(tmp, "profile"), 1000, 900); err != nil {
			log.Fatal(err)
		}
		defer b.Close()
	case "sse", "none":
	default:
		log.Fatalf("-client %q: browser, sse or none", *client)
	}
	var without, with []float64
	for i := range *pairs {
		for k := range 2 {
			dash := (i+k)%2 == 1
			m, err := run(ctx, bin, tmp, *epochs, dash, b, *client)
			if err != nil {
				log.Fatal(err)
			}
			name := "without"
			if dash {
				name, with = "with   ", append(with, m)
			} else {
				without = append(without, m)
			}
			fmt.Printf("pair %d %s dashboard: median epoch %.1f ms\n", i+1, name, 1000*m)
		}
	}
	var ratios []float64
	for i := range with {
		ratios = append(ratios, with[i]/without[i])
	}
	sorted := append([]float64(nil), ratios...)
	slices.Sort(sorted)
	above := 0
	for _, r := range ratios {
		if r > 1 {
			above++
		}
	}
	fmt.Printf("with/without per pair: %.3f\nmedian %.3f, quartiles %.3f–%.3f, %d of %d pairs slower with the dashboard\n",
		ratios, benchutil.Median(ratios), sorted[len(sorted)/4], sorted[(3*len(sorted))/4], above, len(ratios))
	mw, md := benchutil.Median(without), benchutil.Median(with)
	fmt.Printf("median epoch without %.1f ms (runs %.1f–%.1f), with a connected page %.1f ms (runs %.1f–%.1f): with/without %.3f\n",
		1000*mw, 1000*slices.Min(without), 1000*slices.Max(without), 1000*md, 1000*slices.Min(with), 1000*slices.Max(with), md/mw)
}

var verbose *bool

var addr = regexp.MustCompile(`dashboard at (http://[^/ ]+/)`)

// run trains once and returns the median epoch time, epochs 2 to the
// last, in seconds.
func run(ctx context.Context, bin, tmp string, epochs int, dash bool, b *cdp.Browser, client string) (float64, error) {
	hist := filepath.Join(tmp, "history.csv")
	os.Remove(hist)
	args := []string{"run", "deep", "--epochs", fmt.Sprint(epochs), "--verbose", "0", "--history", hist}
	if dash {
		args = append(args, "--dashboard=127.0.0.1:0")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := addr.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	if dash {
		select {
		case u := <-urls:
			switch {
			case b != nil:
				if err := b.Navigate(ctx, u); err != nil {
					return 0, err
				}
			case client == "sse":
				go readEvents(u + "api/events")
			}
		case err := <-exited:
			return 0, fmt.Errorf("neurona exited before serving: %v", err)
		}
	}
	var cpu0 float64
	t0 := time.Now()
	if b != nil {
		cpu0 = browserCPU(b.Pid())
	}
	var ends []time.Time
	lines := 0
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case err := <-exited:
			if err != nil {
				return 0, err
			}
			done = true
		case <-tick.C:
		}
		data, _ := os.ReadFile(hist)
		for n := bytes.Count(data, []byte{'\n'}); lines < n; lines++ {
			ends = append(ends, time.Now())
		}
	}
	// The header line comes at the start; then a line per epoch.
	if len(ends) != epochs+1 {
		return 0, fmt.Errorf("%d history lines, want %d", len(ends), epochs+1)
	}
	if dash && b != nil {
		fmt.Printf("  the browser used %.0f ms of CPU per second of the run\n", 1000*(browserCPU(b.Pid())-cpu0)/time.Since(t0).Seconds())
	}
	if dash && b != nil {
		// The page draws at most once a second: give it two to show the
		// last epochs, which proves it followed the run. (The last one can
		// be missed: a page whose counts disagree with an event fetches the
		// run again, which fails once the server has stopped.)
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := b.WaitTrue(wctx, fmt.Sprintf(`(()=>{const p=document.querySelector('#epochs path.series[data-name$=": loss"]');return p?+p.dataset.points:0})() >= %d`, epochs-1))
		cancel()
		if err != nil {
			return 0, fmt.Errorf("the page did not follow the run: %v", err)
		}
		if err := b.Navigate(ctx, "about:blank"); err != nil {
			return 0, err
		}
	}
	var secs []float64
	for e := 2; e <= epochs; e++ {
		secs = append(secs, ends[e].Sub(ends[e-1]).Seconds())
	}
	if *verbose {
		fmt.Printf("  epochs (ms): %.0f\n", scaled(secs, 1000))
	}
	return benchutil.Median(secs), nil
}

// readEvents reads the server-sent events at url until the server goes.
func readEvents(url string) {
	resp, err := http.Get(url)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
}

// browserCPU returns the CPU seconds (user and system) used so far by
// the browser's processes: its main process and all its descendants.
func browserCPU(root int) float64 {
	ds, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	ticks := map[int]float64{}
	for _, d := range ds {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		// After the command's closing parenthesis: state, ppid, ..., with
		// utime and stime the 12th and 13th fields, in clock ticks (100 a
		// second on Linux).
		f := bytes.Fields(st[bytes.LastIndexByte(st, ')')+2:])
		if len(f) < 13 {
			continue
		}
		pp, _ := strconv.Atoi(string(f[1]))
		u, _ := strconv.ParseFloat(string(f[11]), 64)
		s, _ := strconv.ParseFloat(string(f[12]), 64)
		parent[pid], ticks[pid] = pp, u+s
	}
	total := 0.0
	for pid, t := range ticks {
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				total += t / 100
				break
			}
		}
	}
	return total
}

func scaled(xs []float64, k float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = k * x
	}
	return out
}
