// Package envs holds reinforcement-learning environments with gym's
// interface: Reset gives the first observation, Step applies an action
// and returns the next observation, the reward and whether the episode is
// over.
package envs

// Env is an episodic environment with a discrete action space.
type Env interface {
	// Reset starts an episode; seed chooses the initial state, the same
	// seed giving the same episode for the same actions.
	Reset(seed int64) []float64
	// Step applies action (0 ≤ action < ActionCount()) and returns the
	// next observation, the reward and whether the episode is over. The
	// observation slice is the environment's own and is overwritten by
	// the next Step or Reset.
	Step(action int) (obs []float64, reward float64, done bool, err error)
	// ObservationSize is the length of an observation.
	ObservationSize() int
	// ActionCount is the number of discrete actions.
	ActionCount() int
}
