package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"
)

// DataDir is the cache directory of downloaded data sets: $NEURONA_DATA
// when set, else ~/.neurona/datasets.
func DataDir() string {
	if d := os.Getenv("NEURONA_DATA"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".neurona", "datasets")
	}
	return filepath.Join(home, ".neurona", "datasets")
}

// ErrChecksum is wrapped by Fetch's error for a file whose sha256 is not
// the expected one.
var ErrChecksum = errors.New("sha256 mismatch")

// HTTPClient makes Fetch's requests.
var HTTPClient = &http.Client{Timeout: 30 * time.Minute}

// Fetch returns the path of dir/name, downloading it from url first when it
// is not there (or, with a known sum, when the copy there does not match).
// sum is the file's sha256 in hex; "" skips the check. The download goes to
// a temporary file in dir, is checked for the advertised length and the
// sha256, and only then renamed to name, so an interrupted or corrupt
// download never leaves a file under the final name. When progress is a
// terminal, a progress bar is drawn on it.
func Fetch(name, url, sum, dir string, progress io.Writer) (string, error) {
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		if sum == "" {
			return path, nil
		}
		got, err := fileSHA256(path)
		if err != nil {
			return "", err
		}
		if got == sum {
			return path, nil
		}
		if progress != nil {
			fmt.Fprintf(progress, "%s: sha256 %s, want %s: downloading it again\n", path, got, sum)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	resp, err := HTTPClient.Get(url)
	if err != nil {
		return "", fmt.Errorf("datasets: downloading %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("datasets: downloading %s from %s: %s", name, url, resp.Status)
	}
	tmp, err := os.CreateTemp(dir, name+".part-*")
	if err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	h := sha256.New()
	var w io.Writer = io.MultiWriter(tmp, h)
	var bar *progressBar
	if f, ok := progress.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = &progressBar{out: f, name: name, total: resp.ContentLength, start: time.Now()}
		w = io.MultiWriter(w, bar)
	}
	n, err := io.Copy(w, resp.Body)
	if bar != nil {
		bar.finish()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("datasets: downloading %s from %s: %w", name, url, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return "", fmt.Errorf("datasets: downloading %s from %s: truncated: %d of %d bytes", name, url, n, resp.ContentLength)
	}
	if got := hex.EncodeToString(h.Sum(nil)); sum != "" && got != sum {
		return "", fmt.Errorf("datasets: downloading %s from %s: %w: got %s, want %s", name, url, ErrChecksum, got, sum)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	return path, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("datasets: reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// progressBar draws "name [=====>    ]  42% 7.1/17.5 MB" on a terminal.
type progressBar struct {
	out   io.Writer
	name  string
	total int64
	done  int64
	start time.Time
	last  time.Time
}

func (p *progressBar) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if now := time.Now(); now.Sub(p.last) > 100*time.Millisecond {
		p.last = now
		p.draw()
	}
	return len(b), nil
}

func (p *progressBar) draw() {
	const width = 30
	mb := func(n int64) string { return fmt.Sprintf("%.1f", float64(n)/1e6) }
	if p.total <= 0 {
		fmt.Fprintf(p.out, "\r%s %s MB", p.name, mb(p.done))
		return
	}
	k := int(int64(width) * p.done / p.total)
	k = min(max(k, 0), width)
	bar := strings.Repeat("=", k) + strings.Repeat(" ", width-k)
	if k < width {
		bar = bar[:k] + ">" + bar[k+1:]
	}
	fmt.Fprintf(p.out, "\r%s [%s] %3d%% %s/%s MB", p.name, bar, 100*p.done/p.total, mb(p.done), mb(p.total))
}

func (p *progressBar) finish() {
	p.draw()
	fmt.Fprintln(p.out)
}
