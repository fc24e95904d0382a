package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/envs"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/plot"
	"github.com/neurona/neurona/tensor"
)

// The book's DQN agent (notebook A23, Chapter 13 "Defining a DQN Agent",
// after Keon Kim's dqn.py). Its constants, copied from the notebook:
const (
	dqnMemory       = 2000  // deque(maxlen=2000)
	dqnGamma        = 0.95  // discount
	dqnEpsilon      = 1.0   // initial exploration rate
	dqnEpsilonDecay = 0.995 // after each replay, while ε > ε_min
	dqnEpsilonMin   = 0.01
	dqnLR           = 0.001 // Adam
	dqnBatch        = 32    // single-sample fits per replay
	dqnDoneReward   = -10   // the reward of the done step (time limit included)
	dqnSaveEvery    = 50    // weights_%04d every 50 episodes
	dqnEpisodes     = 1000
	dqnMeanWindow   = 100 // the plot's moving mean
)

const cartpoleAbout = "Chapter 13: a DQN agent (4-32-32-2, MSE, Adam 0.001) learns CartPole-v0 in 1000 episodes; the book's last 100 average 189.91 of 199"

// transition is one remembered step.
type transition struct {
	state, next [4]float64
	action      int
	reward      float64
	done        bool
}

// dqnAgent is the book's agent; every call reuses its tensors.
type dqnAgent struct {
	model   *models.Model
	rng     *rand.Rand
	epsilon float64
	memory  []transition // a ring of dqnMemory
	head    int          // index of the oldest when full
	x, y, q *tensor.Tensor
	idx     []int // for sampling without replacement
}

func newDQNAgent(seed uint64) (*dqnAgent, error) {
	m := models.NewSequential(
		&layers.Dense{Units: 32, Activation: activations.ReLU, InputDim: 4},
		&layers.Dense{Units: 32, Activation: activations.ReLU},
		&layers.Dense{Units: 2, Activation: activations.Linear},
	)
	m.Seed = seed
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{LR: dqnLR}); err != nil {
		return nil, fmt.Errorf("cartpole: compile: %w", err)
	}
	return &dqnAgent{
		model:   m.Model,
		rng:     rand.New(rand.NewPCG(seed, 0xd9e)),
		epsilon: dqnEpsilon,
		memory:  make([]transition, 0, dqnMemory),
		x:       tensor.New(1, 4), y: tensor.New(1, 2), q: tensor.New(1, 2),
		idx: make([]int, dqnMemory),
	}, nil
}

func (a *dqnAgent) remember(t transition) {
	if len(a.memory) < dqnMemory {
		a.memory = append(a.memory, t)
		return
	}
	a.memory[a.head] = t // the oldest goes
	a.head = (a.head + 1) % dqnMemory
}

// predict sets a.q to the model's Q values of s.
func (a *dqnAgent) predict(s [4]float64) error {
	for i, v := range s {
		a.x.Data[i] = float32(v)
	}
	return a.model.PredictInto(a.q, a.x)
}

// act is ε-greedy: random with probability ε, else argmax Q.
func (a *dqnAgent) act(s [4]float64) (int, error) {
	if a.rng.Float64() <= a.epsilon {
		return a.rng.IntN(2), nil
	}
	if err := a.predict(s); err != nil {
		return 0, err
	}
	if a.q.Data[1] > a.q.Data[0] {
		return 1, nil
	}
	return 0, nil
}

// replay is the book's train(32): 32 transitions drawn without
// replacement, one single-sample fit each, then ε decays.
func (a *dqnAgent) replay() error {
	n := len(a.memory)
	for i := range n {
		a.idx[i] = i
	}
	for k := range dqnBatch { // a partial Fisher–Yates shuffle
		j := k + a.rng.IntN(n-k)
		a.idx[k], a.idx[j] = a.idx[j], a.idx[k]
		t := &a.memory[a.idx[k]]
		target := t.reward
		if !t.done {
			if err := a.predict(t.next); err != nil {
				return err
			}
			target += dqnGamma * float64(max(a.q.Data[0], a.q.Data[1]))
		}
		if err := a.predict(t.state); err != nil {
			return err
		}
		copy(a.y.Data, a.q.Data)
		a.y.Data[t.action] = float32(target)
		// a.x holds t.state from the last predict
		if _, err := a.model.TrainOnBatch(a.x, a.y); err != nil {
			return err
		}
	}
	if a.epsilon > dqnEpsilonMin {
		a.epsilon *= dqnEpsilonDecay
	}
	return nil
}

// pyFloat2 formats v as Python's "{:.2}": two significant digits, with
// ".0" kept on a whole number (1.0 prints as "1.0").
func pyFloat2(v float64) string {
	s := strconv.FormatFloat(v, 'g', 2, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

type cartpoleConfig struct {
	episodes int
	seed     uint64
	out      string
	render   string // a GIF of one greedy episode after training
}

// runCartPole trains the agent, writing the book's episode lines to w,
// and returns the scores.
func runCartPole(ctx context.Context, cfg cartpoleConfig, w io.Writer) ([]float64, error) {
	agent, err := newDQNAgent(cfg.seed)
	if err != nil {
		return nil, err
	}
	env := envs.NewCartPole()
	resets := rand.New(rand.NewPCG(cfg.seed, 0xe57))
	scores := make([]float64, 0, cfg.episodes)
	for e := range cfg.episodes {
		if err := ctx.Err(); err != nil {
			return scores, fmt.Errorf("cartpole: stopped at episode %d: %w", e, err)
		}
		var state [4]float64
		copy(state[:], env.Reset(resets.Int64()))
		for time := 0; ; time++ {
			action, err := agent.act(state)
			if err != nil {
				return scores, fmt.Errorf("cartpole: episode %d, step %d: act: %w", e, time, err)
			}
			obs, reward, done, err := env.Step(action)
			if err != nil {
				return scores, fmt.Errorf("cartpole: episode %d, step %d: %w", e, time, err)
			}
			if done {
				reward = dqnDoneReward
			}
			t := transition{state: state, action: action, reward: reward, done: done}
			copy(t.next[:], obs)
			agent.remember(t)
			state = t.next
			if done {
				fmt.Fprintf(w, "episode: %d/%d, score: %d, e: %s\n", e, cfg.episodes-1, time, pyFloat2(agent.epsilon))
				scores = append(scores, float64(time))
				break
			}
		}
		if len(agent.memory) > dqnBatch {
			if err := agent.replay(); err != nil {
				return scores, fmt.Errorf("cartpole: episode %d: replay: %w", e, err)
			}
		}
		if cfg.out != "" && e%dqnSaveEvery == 0 {
			path := filepath.Join(cfg.out, fmt.Sprintf("weights_%04d.safetensors", e))
			if err := agent.model.SaveWeights(path); err != nil {
				return scores, fmt.Errorf("cartpole: episode %d: %w", e, err)
			}
		}
	}
	if cfg.render != "" {
		steps, err := renderEpisode(agent, resets.Int64(), cfg.render)
		if err != nil {
			return scores, fmt.Errorf("cartpole: --render: %w", err)
		}
		fmt.Fprintf(w, "rendered a greedy episode of %d steps to %s\n", steps, cfg.render)
	}
	return scores, nil
}

// movingMean is the mean of the last window values at each index (fewer
// at the start).
func movingMean(v []float64, window int) []float64 {
	out := make([]float64, len(v))
	sum := 0.0
	for i, x := range v {
		sum += x
		if i >= window {
			sum -= v[i-window]
		}
		out[i] = sum / float64(min(i+1, window))
	}
	return out
}

func cartpoleCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run cartpole", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg cartpoleConfig
	fs.IntVar(&cfg.episodes, "episodes", dqnEpisodes, "number of episodes")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of the weights, the exploration, the replay sampling and the environment")
	fs.StringVar(&cfg.out, "out", "", "directory for weights_NNNN.safetensors every 50 episodes, scores.png and scores.csv (default: write nothing)")
	fs.StringVar(&cfg.render, "render", "", "after training, write one greedy episode to this animated GIF (cart, pole, track)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona run cartpole [flags]\n\n%s.\nPrints the book's line 'episode: e/999, score: S, e: ε' after each episode.\n\nFlags:\n", cartpoleAbout)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("run cartpole: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("run cartpole: unexpected argument %q", fs.Arg(0))
	}
	if cfg.episodes < 1 {
		return usagef("run cartpole: --episodes %d: must be at least 1", cfg.episodes)
	}
	if cfg.out != "" {
		if err := os.MkdirAll(cfg.out, 0o755); err != nil {
			return fmt.Errorf("run cartpole: --out: %w", err)
		}
	}
	scores, err := runCartPole(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	if cfg.out == "" {
		return nil
	}
	mean := movingMean(scores, dqnMeanWindow)
	var csv strings.Builder
	csv.WriteString("episode,score,mean100\n")
	for i, s := range scores {
		fmt.Fprintf(&csv, "%d,%g,%g\n", i, s, mean[i])
	}
	if err := os.WriteFile(filepath.Join(cfg.out, "scores.csv"), []byte(csv.String()), 0o644); err != nil {
		return fmt.Errorf("run cartpole: %w", err)
	}
	// plot draws against "epoch" i+1: here episode i.
	series := []plot.Series{{Name: "score", Values: scores}, {Name: "mean of last 100", Values: mean}}
	if err := plot.LearningCurves(filepath.Join(cfg.out, "scores.png"), "CartPole-v0 DQN: score per episode (x: episode+1)", series, ""); err != nil {
		return fmt.Errorf("run cartpole: %w", err)
	}
	return nil
}
