package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurona/neurona/dashboard"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/datasets/mnist"
	"github.com/neurona/neurona/examples"
	"github.com/neurona/neurona/examples/ganscore"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/plot"
	"github.com/neurona/neurona/saving"
	"github.com/neurona/neurona/tensor"
)

// ganAwkwardAbout is the awkward GAN's line in 'neurona examples'.
const ganAwkwardAbout = "Chapter 12's awkward-GAN-with-no-warning: the GAN with a second, never-compiled discriminator copied from the trained one before each adversarial step and noisy labels ('neurona run gan-awkward' trains it)"

// ganConfig is what 'neurona run gan' and 'run gan-awkward' train with.
type ganConfig struct {
	awkward    bool // A22: a copied, never-compiled discriminator and noisy labels
	iterations int
	batch      int
	every      int
	seed       uint64
	out        string
	data       string
	optimizer  string
	// scorer is the GAN scorer's file (loaded, or trained and cached);
	// noScore skips the score.
	scorer  string
	noScore bool
	// scorerRows limits the scorer's training digits (tests); 0 is all.
	scorerRows int
	// afterCopy, when set (tests), is called after each copy of the
	// awkward GAN's weights into its frozen discriminator.
	afterCopy func(i int, trained, frozen *models.Model)
	// live, when set (--dashboard), follows the training.
	live ganLive
}

// ganLive follows a GAN's training: the models once built, each
// iteration's losses, and each progress line's running means with the
// sample grid just written (its name in the output directory).
type ganLive interface {
	built(d, g, a *models.Model)
	iteration(i int, dLoss, aLoss float64)
	progress(i int, logs map[string]float64, grid string)
}

const ganZDim = 32

// ganCommand runs 'neurona run gan' (A21) or 'neurona run gan-awkward'
// (A22).
func ganCommand(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	cfg := ganConfig{awkward: name == "gan-awkward"}
	fs := flag.NewFlagSet("run "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	every := 100
	if cfg.awkward {
		every = 20
	}
	fs.IntVar(&cfg.iterations, "iterations", 2000, "training iterations (the notebook's 'epochs'), each one discriminator and one adversarial batch")
	fs.IntVar(&cfg.batch, "batch", 128, "real images per iteration (the discriminator sees as many fakes too)")
	fs.IntVar(&cfg.every, "every", every, "print the progress line and write a 4×4 sample grid every this many iterations")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seeds the weights, dropout, the noise and the sampling of real images")
	fs.StringVar(&cfg.out, "out", name+"-output", "directory for the sample grids and the loss and accuracy plots (PNG)")
	fs.StringVar(&cfg.data, "data", "", "a .npy file of uint8 (N, 784) Quick, Draw! bitmaps such as apple.npy (default: MNIST's 60,000 training digits)")
	fs.StringVar(&cfg.optimizer, "optimizer", "rmsprop", "rmsprop (the notebook's) or adam (its commented alternative: Adam(lr 0.0008, clipvalue 1) for the discriminator, Adam(lr 0.0004, clipvalue 1) for the adversarial model)")
	fs.StringVar(&cfg.scorer, "scorer", ganscore.DefaultPath(), "the MNIST classifier that scores the generated digits at the end (MNIST data only): loaded when the file exists, else the book's LeNet is trained for one epoch and saved there")
	fs.BoolVar(&cfg.noScore, "no-score", false, "skip the sample-quality score at the end")
	var dash string
	fs.Var(dashFlag{&dash}, "dashboard", "serve the training live in the browser: the losses, the adversarial model's graph and the sample grids as they are written (--dashboard=ADDR for another address than "+dashboard.DefaultAddr+")")
	hold := fs.Bool("hold", false, "with --dashboard: keep serving after training, until Ctrl-C")
	fs.Usage = func() {
		if cfg.awkward {
			fmt.Fprintf(fs.Output(), "Usage: neurona run gan-awkward [flags]\n\nTrains awkward-GAN-with-no-warning.ipynb's GAN (Deep Learning Illustrated,\nchapter 12): the adversarial model holds a second, never-compiled\ndiscriminator whose weights are copied layer by layer from the trained one\nbefore each adversarial step, and the discriminator learns from noisy labels\n(real 1 - U(0, 0.1), fake U(0, 0.1)), so its binary_accuracy stays 0.\n")
		} else {
			fmt.Fprintf(fs.Output(), "Usage: neurona run gan [flags]\n\nTrains generative_adversarial_network.ipynb's GAN (Deep Learning\nIllustrated, chapter 12): each iteration trains the discriminator on a\nbatch of real images (label 1) and as many generated ones (label 0), then\nthe adversarial model, generator then frozen discriminator, on fresh noise\nwith label 1.\n")
		}
		fmt.Fprintf(fs.Output(), "\nThe progress line 'i: [D loss: ..., acc: ...]  [A loss: ..., acc: ...]' prints\nthe notebook's running means: the sum of the values of iterations 0..i\ndivided by i, not i+1, as the notebook does (by 1 at i = 0).\n\nAt the end, when the data is MNIST, it prints an Inception-style score of\n1,000 generated digits, exp(E_x KL(p(y|x) || p(y))) with the book's LeNet\n(trained by neurona on MNIST) as the classifier, from 1 to 10, beside the\nscore of 1,000 real test digits, and the share of each digit among the\nsamples classified with p >= 0.9.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("run %s: %v", name, err)
	}
	if fs.NArg() > 0 {
		return usagef("run %s: unexpected argument %q", name, fs.Arg(0))
	}
	if cfg.iterations < 1 || cfg.batch < 1 || cfg.every < 1 {
		return usagef("run %s: --iterations, --batch and --every must be positive", name)
	}
	if cfg.optimizer != "rmsprop" && cfg.optimizer != "adam" {
		return usagef("run %s: --optimizer must be rmsprop or adam, not %q", name, cfg.optimizer)
	}
	x, err := ganData(cfg.data)
	if err != nil {
		return fmt.Errorf("run %s: %w", name, err)
	}
	if *hold && dash == "" {
		return usagef("run %s: --hold keeps the dashboard serving: give --dashboard too", name)
	}
	if dash != "" {
		stop, live, err := startGANDashboard(ctx, dash, name, cfg.out, stderr)
		if err != nil {
			return err
		}
		defer stop()
		cfg.live = live
	}
	_, g, err := trainGAN(ctx, cfg, x, stdout)
	if l, ok := cfg.live.(*ganDashboard); ok {
		l.run.SetDone()
	}
	if err == nil && cfg.data == "" && !cfg.noScore {
		err = scoreGAN(ctx, cfg, g, stdout, stderr)
	}
	if err == nil && *hold {
		fmt.Fprintln(stderr, "neurona: training done; the dashboard keeps serving until Ctrl-C")
		<-ctx.Done()
	}
	return err
}

// ganDashboard is a GAN's live dashboard run: the iterations' losses as
// the batch curve, each progress line's running means as a point of the
// epoch curves (at the iteration), and the sample grids as images.
type ganDashboard struct {
	run *dashboard.Run
}

func (l *ganDashboard) built(d, g, a *models.Model) {
	var b strings.Builder
	if err := a.Summary(&b); err == nil {
		l.run.SetSummary(dashboard.ParseSummary(b.String()))
	}
}

func (l *ganDashboard) iteration(i int, dLoss, aLoss float64) {
	l.run.AddBatch(float64(i+1), dLoss)
}

func (l *ganDashboard) progress(i int, logs map[string]float64, grid string) {
	l.run.AddEpoch(i, []string{"d_loss", "d_acc", "a_loss", "a_acc"}, logs, 0)
	l.run.AddImage(grid)
}

// startGANDashboard serves a GAN's run, its images from the output
// directory; the returned function stops the server.
func startGANDashboard(ctx context.Context, addr, name, out string, stderr io.Writer) (func(), ganLive, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, nil, fmt.Errorf("run %s: --out: %w", name, err)
	}
	root, err := os.OpenRoot(out)
	if err != nil {
		return nil, nil, err
	}
	l, warn, err := dashboard.Listen(addr)
	if err != nil {
		root.Close()
		return nil, nil, err
	}
	if warn != "" {
		fmt.Fprintln(stderr, "neurona:", warn)
	}
	srv := dashboard.NewServer(root)
	run := dashboard.NewRun(name)
	run.SetLive()
	srv.AddRun(run)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(sctx, l) }()
	fmt.Fprintf(stderr, "neurona: dashboard at http://%s/\n", l.Addr())
	return func() { cancel(); <-done; root.Close() }, &ganDashboard{run: run}, nil
}

// scoreGAN prints the score of 1,000 digits drawn from g, with the score of
// as many real test digits for scale.
func scoreGAN(ctx context.Context, cfg ganConfig, g *models.Model, stdout, stderr io.Writer) error {
	scorer, acc, err := ganscore.Scorer(ctx, cfg.scorer, cfg.scorerRows, stderr)
	if err != nil {
		return fmt.Errorf("run gan: %w", err)
	}
	rng := tensor.NewRNG(cfg.seed*4 + 5)
	noise := tensor.New(ganscore.Samples, ganZDim)
	for i := range noise.Data {
		noise.Data[i] = float32(rng.Float64()*2 - 1)
	}
	fake, err := g.Predict(noise)
	if err != nil {
		return fmt.Errorf("run gan: generating the scored samples: %w", err)
	}
	fs, err := ganscore.Score(scorer, fake)
	if err != nil {
		return fmt.Errorf("run gan: scoring the generated digits: %w", err)
	}
	_, test, err := mnist.Load()
	if err != nil {
		return err
	}
	real := tensor.New(ganscore.Samples, 28, 28, 1)
	for i := range real.Data {
		real.Data[i] = test.X.Data[i] / 255
	}
	rs, err := ganscore.Score(scorer, real)
	if err != nil {
		return fmt.Errorf("run gan: scoring the test digits: %w", err)
	}
	fmt.Fprintf(stdout, "Inception-style score (LeNet scorer, test accuracy %.4f)\n  generated: %v\n  real test digits: %v\n", acc, fs, rs)
	return nil
}

// ganData loads the images, scaled to [0, 1], as (N, 28, 28, 1).
func ganData(path string) (*tensor.Tensor, error) {
	var x *tensor.Tensor
	if path == "" {
		train, _, err := mnist.Load()
		if err != nil {
			return nil, err
		}
		x = train.X
	} else {
		t, err := datasets.ReadNPYFile(path)
		if err != nil {
			return nil, err
		}
		if t.Dims() != 2 || t.Shape[1] != 784 {
			return nil, fmt.Errorf("%s: shape %s, want (N, 784) bitmaps of 28×28 pixels, as Quick, Draw!'s numpy_bitmap files", path, tensor.ShapeString(t.Shape))
		}
		x = t
	}
	n := x.Rows()
	if n == 0 {
		return nil, fmt.Errorf("%s: no images", dataName(path))
	}
	for i, v := range x.Data {
		x.Data[i] = v / 255
	}
	return x.Reshape(n, 28, 28, 1), nil
}

func dataName(path string) string {
	if path == "" {
		return "MNIST"
	}
	return path
}

// ganHistory is one value per iteration of each model's loss and accuracy.
type ganHistory struct {
	dLoss, dAcc, aLoss, aAcc []float64
}

// trainGAN is the notebook's train(): it returns every iteration's values.
// It also returns the generator.
func trainGAN(ctx context.Context, cfg ganConfig, x *tensor.Tensor, stdout io.Writer) (*ganHistory, *models.Model, error) {
	n := x.Rows()
	if cfg.batch > n {
		return nil, nil, fmt.Errorf("run gan: --batch %d is more than the %d images of the data (they are drawn without replacement)", cfg.batch, n)
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return nil, nil, fmt.Errorf("run gan: --out: %w", err)
	}
	d, g, a, frozen, err := buildGAN(cfg)
	if err != nil {
		return nil, nil, err
	}
	if cfg.live != nil {
		cfg.live.built(d, g, a)
	}
	rng := tensor.NewRNG(cfg.seed*4 + 3)
	b := cfg.batch
	perm := make([]int, n)
	pick := make([]int, b)
	real := tensor.New(b, 28, 28, 1)
	dx := tensor.New(2*b, 28, 28, 1)
	dy := tensor.New(2*b, 1)
	noise := tensor.New(b, ganZDim)
	ones := tensor.Full(1, b, 1)
	uniform := func(t *tensor.Tensor) {
		for i := range t.Data {
			t.Data[i] = float32(rng.Float64()*2 - 1)
		}
	}
	for i := range perm {
		perm[i] = i
	}
	h := &ganHistory{}
	var sd, sda, sa, saa float64
	for i := range cfg.iterations {
		if err := ctx.Err(); err != nil {
			return h, nil, err
		}
		// np.random.choice(n, b, replace=False): a partial Fisher-Yates.
		for k := range b {
			j := k + rng.Intn(n-k)
			perm[k], perm[j] = perm[j], perm[k]
			pick[k] = perm[k]
		}
		tensor.GatherRows(real, x, pick)
		uniform(noise)
		fake, err := g.Predict(noise)
		if err != nil {
			return h, nil, fmt.Errorf("run gan: iteration %d: generator: %w", i, err)
		}
		copy(dx.Data, real.Data)
		copy(dx.Data[len(real.Data):], fake.Data)
		for k := range b {
			dy.Data[k], dy.Data[b+k] = 1, 0
			if cfg.awkward {
				dy.Data[k] = 1 - float32(rng.Float64()*0.1)
				dy.Data[b+k] = float32(rng.Float64() * 0.1)
			}
		}
		dm, err := d.TrainOnBatch(dx, dy)
		if err != nil {
			return h, nil, fmt.Errorf("run gan: iteration %d: discriminator: %w", i, err)
		}
		h.dLoss, h.dAcc = append(h.dLoss, dm[0]), append(h.dAcc, dm[1])
		if frozen != nil {
			if err := copyWeights(frozen, d); err != nil {
				return h, nil, fmt.Errorf("run gan-awkward: iteration %d: %w", i, err)
			}
			if cfg.afterCopy != nil {
				cfg.afterCopy(i, d, frozen)
			}
		}
		uniform(noise)
		am, err := a.TrainOnBatch(noise, ones)
		if err != nil {
			return h, nil, fmt.Errorf("run gan: iteration %d: adversarial model: %w", i, err)
		}
		h.aLoss, h.aAcc = append(h.aLoss, am[0]), append(h.aAcc, am[1])
		sd, sda, sa, saa = sd+dm[0], sda+dm[1], sa+am[0], saa+am[1]
		if cfg.live != nil {
			cfg.live.iteration(i, dm[0], am[0])
		}
		if (i+1)%cfg.every == 0 {
			div := float64(max(i, 1))
			fmt.Fprintf(stdout, "%d: [D loss: %f, acc: %f]  [A loss: %f, acc: %f]\n", i, sd/div, sda/div, sa/div, saa/div)
			grid := tensor.New(16, ganZDim)
			uniform(grid)
			imgs, err := g.Predict(grid)
			if err != nil {
				return h, nil, fmt.Errorf("run gan: iteration %d: samples: %w", i, err)
			}
			name := fmt.Sprintf("samples_%04d.png", i)
			if err := writeGrid(filepath.Join(cfg.out, name), imgs); err != nil {
				return h, nil, err
			}
			if cfg.live != nil {
				cfg.live.progress(i, map[string]float64{"d_loss": sd / div, "d_acc": sda / div, "a_loss": sa / div, "a_acc": saa / div}, name)
			}
		}
	}
	if err := plotGAN(cfg.out, h); err != nil {
		return h, nil, err
	}
	return h, g, nil
}

// buildGAN builds the notebook's models in its order: the discriminator,
// compiled, then the generator, then the adversarial model; for the
// awkward GAN also the frozen copy the adversarial model holds.
func buildGAN(cfg ganConfig) (d, g, a, frozen *models.Model, err error) {
	layers.ResetNames()
	if d, err = examples.GANDiscriminator(); err != nil {
		return
	}
	d.Seed = cfg.seed*4 + 0
	var dOpt, aOpt optimizers.Optimizer = &optimizers.RMSprop{LR: 0.0008, Decay: 6e-8, ClipValue: 1.0},
		&optimizers.RMSprop{LR: 0.0004, Decay: 3e-8, ClipValue: 1.0}
	if cfg.optimizer == "adam" {
		dOpt, aOpt = &optimizers.Adam{LR: 0.0008, ClipValue: 1.0}, &optimizers.Adam{LR: 0.0004, ClipValue: 1.0}
	}
	var dMetric, aMetric metrics.Metric = metrics.Accuracy(), metrics.Accuracy()
	if cfg.awkward {
		dMetric, aMetric = &metrics.BinaryAccuracy{}, &metrics.BinaryAccuracy{}
	}
	if err = d.Compile(losses.BinaryCrossentropy{}, dOpt, dMetric); err != nil {
		return
	}
	if g, err = examples.GANGenerator(); err != nil {
		return
	}
	g.Seed = cfg.seed*4 + 1
	into := d
	if cfg.awkward {
		if frozen, err = examples.GANDiscriminator(); err != nil {
			return
		}
		frozen.SetTrainable(false)
		into = frozen
	}
	if a, err = examples.GANAdversarialWith(into, g, aOpt, aMetric); err != nil {
		return
	}
	a.Seed = cfg.seed*4 + 2
	return
}

// copyWeights sets dst's weights to src's, layer by layer, as the awkward
// notebook's get_weights/set_weights loop.
func copyWeights(dst, src *models.Model) error {
	dl, sl := dst.Layers(), src.Layers()
	if len(dl) != len(sl) {
		return fmt.Errorf("copy weights: %d layers into %d", len(sl), len(dl))
	}
	for k := range sl {
		if err := layers.SetWeights(dl[k], layers.GetWeights(sl[k])); err != nil {
			return fmt.Errorf("copy weights: layer %d (%s into %s): %w", k, sl[k].LayerName(), dl[k].LayerName(), err)
		}
	}
	return nil
}

// writeGrid writes 16 images of 28×28 as a 4×4 grid, 4 pixels a pixel.
func writeGrid(path string, imgs *tensor.Tensor) error {
	const s, side = 4, 28
	img := image.NewGray(image.Rect(0, 0, 4*side*s, 4*side*s))
	for k := range 16 {
		px := imgs.Data[k*side*side : (k+1)*side*side]
		ox, oy := (k%4)*side*s, (k/4)*side*s
		for y := range side {
			for x := range side {
				v := px[y*side+x]
				if math.IsNaN(float64(v)) {
					v = 0
				}
				c := color.Gray{Y: uint8(min(max(v, 0), 1)*255 + 0.5)}
				for dy := range s {
					for dx := range s {
						img.SetGray(ox+x*s+dx, oy+y*s+dy, c)
					}
				}
			}
		}
	}
	return saving.WriteFileAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// plotGAN draws the losses and the accuracies over the iterations, as the
// notebook's last cells.
func plotGAN(dir string, h *ganHistory) error {
	if err := plot.LearningCurves(filepath.Join(dir, "losses.png"), "GAN losses by iteration",
		[]plot.Series{{Name: "discriminator loss", Values: finiteValues(h.dLoss)}, {Name: "adversarial loss", Values: finiteValues(h.aLoss)}}, ""); err != nil {
		return fmt.Errorf("run gan: plotting the losses: %w", err)
	}
	if err := plot.LearningCurves(filepath.Join(dir, "accuracies.png"), "GAN accuracies by iteration",
		[]plot.Series{{Name: "discriminator accuracy", Values: finiteValues(h.dAcc)}, {Name: "adversarial accuracy", Values: finiteValues(h.aAcc)}}, ""); err != nil {
		return fmt.Errorf("run gan: plotting the accuracies: %w", err)
	}
	return nil
}

// finiteValues replaces NaN and infinite values, which the plots refuse, by 0.
func finiteValues(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out[i] = x
		}
	}
	return out
}
