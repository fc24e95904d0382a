package envs

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// CartPole-v0's constants, from gym 0.9.6 (gym/envs/classic_control/
// cartpole.py and the registration in gym/envs/__init__.py), as listed in
// the book's notebook A23.
const (
	cartPoleGravity   = 9.8
	cartPoleMassCart  = 1.0
	cartPoleMassPole  = 0.1
	cartPoleTotalMass = cartPoleMassPole + cartPoleMassCart
	cartPoleLength    = 0.5 // half the pole's length
	cartPolePoleMass  = cartPoleMassPole * cartPoleLength
	cartPoleForceMag  = 10.0
	cartPoleTau       = 0.02 // seconds between state updates

	// CartPoleThetaThreshold is the pole angle, in radians, past which
	// the episode fails: 12 degrees.
	CartPoleThetaThreshold = 12 * 2 * math.Pi / 360
	// CartPoleXThreshold is the cart position past which it fails.
	CartPoleXThreshold = 2.4
	// CartPoleMaxSteps is CartPole-v0's max_episode_steps (its TimeLimit).
	CartPoleMaxSteps = 200
)

// CartPole is gym's CartPole-v0: a pole on a cart that moves along a
// frictionless track; action 0 pushes the cart left and 1 right with a
// force of 10 N. The observation is (x, ẋ, θ, θ̇), float64. Every step
// gives reward 1; the episode is done when |x| > 2.4, |θ| > 12° or after
// 200 steps (the TimeLimit wrapper). The zero value is ready for Reset.
type CartPole struct {
	state    [4]float64
	obs      [4]float64
	steps    int
	started  bool
	finished bool
	// TimeLimited reports whether the last done came from the 200-step
	// limit rather than from the pole or the cart leaving its bounds.
	TimeLimited bool
}

// NewCartPole returns a CartPole-v0 environment.
func NewCartPole() *CartPole { return &CartPole{} }

// ObservationSize is 4.
func (c *CartPole) ObservationSize() int { return 4 }

// ActionCount is 2.
func (c *CartPole) ActionCount() int { return 2 }

// Reset draws the four state components from U(−0.05, 0.05) with an RNG
// seeded by seed and returns the observation.
func (c *CartPole) Reset(seed int64) []float64 {
	r := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	for i := range c.state {
		c.state[i] = -0.05 + 0.1*r.Float64()
	}
	return c.SetState(c.state)
}

// SetState starts an episode from the given state (x, ẋ, θ, θ̇).
func (c *CartPole) SetState(s [4]float64) []float64 {
	c.state, c.steps, c.started, c.finished, c.TimeLimited = s, 0, true, false, false
	c.obs = c.state
	return c.obs[:]
}

// State returns the current state (x, ẋ, θ, θ̇).
func (c *CartPole) State() [4]float64 { return c.state }

// Steps returns the number of steps taken in this episode.
func (c *CartPole) Steps() int { return c.steps }

// Step advances the simulation by tau = 0.02 s with gym 0.9.6's explicit
// Euler update.
func (c *CartPole) Step(action int) ([]float64, float64, bool, error) {
	if !c.started {
		return nil, 0, false, errors.New("cartpole: Step before Reset")
	}
	if c.finished {
		return nil, 0, false, errors.New("cartpole: Step after the episode is done; call Reset")
	}
	if action != 0 && action != 1 {
		return nil, 0, false, fmt.Errorf("cartpole: action %d is not 0 (left) or 1 (right)", action)
	}
	x, xDot, theta, thetaDot := c.state[0], c.state[1], c.state[2], c.state[3]
	force := cartPoleForceMag
	if action == 0 {
		force = -cartPoleForceMag
	}
	cos, sin := math.Cos(theta), math.Sin(theta)
	temp := (force + cartPolePoleMass*thetaDot*thetaDot*sin) / cartPoleTotalMass
	thetaAcc := (cartPoleGravity*sin - cos*temp) /
		(cartPoleLength * (4.0/3.0 - cartPoleMassPole*cos*cos/cartPoleTotalMass))
	xAcc := temp - cartPolePoleMass*thetaAcc*cos/cartPoleTotalMass
	x += cartPoleTau * xDot
	xDot += cartPoleTau * xAcc
	theta += cartPoleTau * thetaDot
	thetaDot += cartPoleTau * thetaAcc
	c.state = [4]float64{x, xDot, theta, thetaDot}
	c.steps++
	done := x < -CartPoleXThreshold || x > CartPoleXThreshold ||
		theta < -CartPoleThetaThreshold || theta > CartPoleThetaThreshold
	if !done && c.steps >= CartPoleMaxSteps {
		done, c.TimeLimited = true, true
	}
	c.finished = done
	c.obs = c.state
	return c.obs[:], 1, done, nil
}
