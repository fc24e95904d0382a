package dashboard

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/tensorboard"
)

// PastRun is a run read from a directory, with what the command needs to
// give it a forward pass.
type PastRun struct {
	*Run
	// Model is the run's saved model, if the directory holds one.
	Model *models.Model
	// Spec and SpecFile are the source and path of a spec file in the
	// directory with an explain section (a worked forward pass).
	Spec     []byte
	SpecFile string
}

// maxFileSize bounds the files ReadDir reads.
const maxFileSize = 256 << 20

// ReadDir reads the runs under root, as neurona writes them: every
// history CSV (--history: an "epoch" column, then the logs), TensorBoard
// directory (--tensorboard: train/ and validation/ event files) and saved
// model (--save, --checkpoint: .nrn) under root, with the PNG images
// (plots, sample grids) next to them. The files of one directory make one
// run, named by the directory (name for root itself); a directory with
// several history CSVs makes a run of each. Files are opened through
// root, so a link out of the directory is never followed; such files are
// reported in skipped.
func ReadDir(root *os.Root, name string) (runs []*PastRun, skipped []string, err error) {
	type group struct {
		csvs, models, images, specs []string
		tb                          map[string]string // events file → "train" or "validation"
	}
	groups := map[string]*group{}
	get := func(dir string) *group {
		if groups[dir] == nil {
			groups[dir] = &group{tb: map[string]string{}}
		}
		return groups[dir]
	}
	fsys := root.FS()
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			skipped = append(skipped, p+": "+err.Error())
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// Links are read through root, which refuses those that
			// leave it; directories behind links are not walked.
			if st, err := root.Stat(p); err != nil || st.IsDir() {
				skipped = append(skipped, p+": a link out of the directory or to a directory")
				return nil
			}
		} else if d.IsDir() {
			return nil
		}
		dir, base := path.Dir(p), path.Base(p)
		switch ext := strings.ToLower(path.Ext(base)); {
		case ext == ".csv":
			get(dir).csvs = append(get(dir).csvs, p)
		case ext == ".nrn":
			get(dir).models = append(get(dir).models, p)
		case ext == ".png":
			get(dir).images = append(get(dir).images, p)
		case ext == ".yaml" || ext == ".yml":
			get(dir).specs = append(get(dir).specs, p)
		case strings.HasPrefix(base, "events.out.tfevents."):
			if sub := path.Base(dir); sub == "train" || sub == "validation" {
				get(path.Dir(dir)).tb[p] = sub
			}
		}
		return nil
	})
	if err != nil {
		return nil, skipped, err
	}
	dirs := make([]string, 0, len(groups))
	for d := range groups {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		g := groups[dir]
		runName := dir
		if dir == "." {
			runName = name
		}
		var dirRuns []*PastRun
		var hists []string
		for _, c := range g.csvs {
			keys, epochs, err := readHistory(root, c)
			if err != nil {
				continue // not a history CSV (a data set, a speed table)
			}
			hists = append(hists, c)
			r := &PastRun{Run: NewRun(runName)}
			addEpochs(r.Run, keys, epochs)
			dirRuns = append(dirRuns, r)
		}
		if len(dirRuns) > 1 {
			for i, r := range dirRuns {
				r.state.Name = strings.TrimSuffix(hists[i], path.Ext(hists[i]))
			}
		}
		if len(dirRuns) == 0 && len(g.tb) > 0 {
			keys, epochs, err := readTensorBoard(root, g.tb)
			if err != nil {
				skipped = append(skipped, dir+": "+err.Error())
			}
			if len(epochs) > 0 {
				r := &PastRun{Run: NewRun(runName)}
				addEpochs(r.Run, keys, epochs)
				dirRuns = append(dirRuns, r)
			}
		}
		var model *models.Model
		var modelErr error
		if len(g.models) > 0 {
			model, modelErr = readModel(root, g.models[len(g.models)-1])
			if modelErr != nil {
				skipped = append(skipped, modelErr.Error())
			}
		}
		var spec []byte
		var specFile string
		for _, p := range g.specs {
			b, err := readFile(root, p)
			if err == nil && bytes.Contains(b, []byte("\nexplain:")) {
				spec, specFile = b, p
				break
			}
		}
		if len(dirRuns) == 0 && (model != nil || len(g.images) > 0 || spec != nil) {
			dirRuns = append(dirRuns, &PastRun{Run: NewRun(runName)})
		}
		if len(dirRuns) == 0 {
			continue
		}
		first := dirRuns[0]
		first.Model, first.Spec, first.SpecFile = model, spec, specFile
		if model != nil {
			var b strings.Builder
			if err := model.Summary(&b); err == nil {
				first.SetSummary(ParseSummary(b.String()))
			}
		}
		for _, img := range g.images {
			first.AddImage(img)
		}
		for _, r := range dirRuns {
			r.state.Done = true
		}
		runs = append(runs, dirRuns...)
	}
	return runs, skipped, nil
}

func addEpochs(r *Run, keys []string, epochs []map[string]float64) {
	for i, logs := range epochs {
		e := i
		if v, ok := logs["epoch"]; ok {
			e = int(v)
			delete(logs, "epoch")
		}
		lr := logs["lr"]
		delete(logs, "lr")
		r.AddEpoch(e, keys, logs, lr)
	}
}

func readFile(root *os.Root, p string) ([]byte, error) {
	f, err := OpenFile(root, p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err == nil && len(b) > maxFileSize {
		err = fmt.Errorf("%s: larger than %d bytes", p, maxFileSize)
	}
	return b, err
}

func readModel(root *os.Root, p string) (*models.Model, error) {
	b, err := readFile(root, p)
	if err != nil {
		return nil, err
	}
	m, err := models.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}

// readHistory reads a CSV history: a header starting with "epoch", then
// one row of numbers per epoch.
func readHistory(root *os.Root, p string) ([]string, []map[string]float64, error) {
	b, err := readFile(root, p)
	if err != nil {
		return nil, nil, err
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, nil, err
	}
	if len(recs) < 1 || len(recs[0]) < 2 || recs[0][0] != "epoch" {
		return nil, nil, fmt.Errorf("%s: not a history (no epoch column)", p)
	}
	var keys []string
	for _, k := range recs[0][1:] {
		if k != "lr" {
			keys = append(keys, k)
		}
	}
	var epochs []map[string]float64
	for _, rec := range recs[1:] {
		logs := map[string]float64{}
		for i, k := range recs[0] {
			if i < len(rec) {
				v, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: %v", p, err)
				}
				logs[k] = v
			}
		}
		epochs = append(epochs, logs)
	}
	return keys, epochs, nil
}

// readTensorBoard reads the epoch_* scalars of a run's train and
// validation event files (Keras's and neurona's TensorBoard layout).
func readTensorBoard(root *os.Root, files map[string]string) ([]string, []map[string]float64, error) {
	byStep := map[int64]map[string]float64{}
	keySet := map[string]bool{}
	var firstErr error
	for p, sub := range files {
		b, err := readFile(root, p)
		if err == nil {
			err = tensorboard.EachScalar(b, func(step int64, tag string, v float64) {
				k, ok := strings.CutPrefix(tag, "epoch_")
				if !ok {
					return
				}
				if sub == "validation" {
					k = "val_" + k
				}
				if byStep[step] == nil {
					byStep[step] = map[string]float64{}
				}
				byStep[step][k] = v
				keySet[k] = true
			})
		}
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", p, err)
		}
	}
	steps := make([]int64, 0, len(byStep))
	for s := range byStep {
		steps = append(steps, s)
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i] < steps[j] })
	var epochs []map[string]float64
	for _, s := range steps {
		logs := byStep[s]
		logs["epoch"] = float64(s)
		epochs = append(epochs, logs)
	}
	var keys []string
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		vi, vj := strings.HasPrefix(keys[i], "val_"), strings.HasPrefix(keys[j], "val_")
		if vi != vj {
			return vj
		}
		return keys[i] < keys[j]
	})
	return keys, epochs, firstErr
}
