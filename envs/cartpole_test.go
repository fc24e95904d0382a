package envs

import (
	"math"
	"testing"
)

// refStep is CartPole's update written out independently of cartpole.go,
// in the form of Florian's "Correct equations for the dynamics of the
// cart-pole system" that gym 0.9.6 cites (M the cart's mass, m the pole's,
// l half the pole's length), then one explicit Euler step of tau.
func refStep(s [4]float64, action int) [4]float64 {
	const g, M, m, l, tau = 9.8, 1.0, 0.1, 0.5, 0.02
	F := 10.0
	if action == 0 {
		F = -10.0
	}
	x, xd, th, thd := s[0], s[1], s[2], s[3]
	thdd := (g*math.Sin(th) + math.Cos(th)*(-F-m*l*thd*thd*math.Sin(th))/(M+m)) /
		(l * (4.0/3.0 - m*math.Cos(th)*math.Cos(th)/(M+m)))
	xdd := (F + m*l*(thd*thd*math.Sin(th)-thdd*math.Cos(th))) / (M + m)
	return [4]float64{x + tau*xd, xd + tau*xdd, th + tau*thd, thd + tau*thdd}
}

func near(a, b [4]float64, tol float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol*(1+math.Abs(b[i])) {
			return false
		}
	}
	return true
}

// TestCartPoleFirstStepExact checks one push right from rest against the
// closed form: with θ = 0 the equations give θ̈ = −600/41 and ẍ = 4400/451.
func TestCartPoleFirstStepExact(t *testing.T) {
	c := NewCartPole()
	c.SetState([4]float64{})
	obs, r, done, err := c.Step(1)
	if err != nil {
		t.Fatal(err)
	}
	want := [4]float64{0, 0.02 * 4400 / 451, 0, 0.02 * -600 / 41}
	var got [4]float64
	copy(got[:], obs)
	if !near(got, want, 1e-14) || r != 1 || done {
		t.Errorf("one push right from rest: obs %v, reward %v, done %v; want %v, 1, false", got, r, done, want)
	}
}

func TestCartPoleFixedActionsMatchEquations(t *testing.T) {
	start := [4]float64{0.01, -0.02, 0.03, 0.04}
	actions := []int{1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0}
	c := NewCartPole()
	c.SetState(start)
	want := start
	for i, a := range actions {
		want = refStep(want, a)
		obs, r, done, err := c.Step(a)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		var got [4]float64
		copy(got[:], obs)
		if !near(got, want, 1e-12) {
			t.Fatalf("step %d (action %d): state %v, want %v", i, a, got, want)
		}
		if r != 1 {
			t.Errorf("step %d: reward %v, want 1", i, r)
		}
		wantDone := math.Abs(want[0]) > 2.4 || math.Abs(want[2]) > 12*2*math.Pi/360
		if done != wantDone {
			t.Fatalf("step %d: done %v, want %v", i, done, wantDone)
		}
	}
}

// TestCartPoleFallsWhenPushedOneWay pushes right until done: the pole
// leaves 12° (it falls left) well before 200 steps, at the first step
// the reference equations put past the threshold.
func TestCartPoleFallsWhenPushedOneWay(t *testing.T) {
	c := NewCartPole()
	c.SetState([4]float64{})
	ref := [4]float64{}
	wantSteps := 0
	for {
		ref = refStep(ref, 1)
		wantSteps++
		if math.Abs(ref[0]) > 2.4 || math.Abs(ref[2]) > 12*2*math.Pi/360 {
			break
		}
	}
	steps := 0
	for {
		_, _, done, err := c.Step(1)
		if err != nil {
			t.Fatal(err)
		}
		steps++
		if done {
			break
		}
	}
	if steps != wantSteps || c.TimeLimited {
		t.Errorf("pushing right: done after %d steps (time limit %v), want %d by the bounds", steps, c.TimeLimited, wantSteps)
	}
	if _, _, _, err := c.Step(0); err == nil {
		t.Error("Step after done: no error")
	}
}

// TestCartPoleTimeLimit balances the pole with a bang-bang controller on
// θ + θ̇ and expects the 200-step TimeLimit to end the episode.
func TestCartPoleTimeLimit(t *testing.T) {
	c := NewCartPole()
	obs := c.Reset(3)
	steps := 0
	for {
		a := 0
		if obs[2]+obs[3] > 0 {
			a = 1
		}
		var done bool
		var err error
		obs, _, done, err = c.Step(a)
		if err != nil {
			t.Fatal(err)
		}
		steps++
		if done {
			break
		}
		if steps > 1000 {
			t.Fatal("no done after 1000 steps")
		}
	}
	if steps != 200 || !c.TimeLimited {
		t.Errorf("balanced episode: done after %d steps (time limit %v), want 200 by the time limit", steps, c.TimeLimited)
	}
	if math.Abs(c.State()[2]) > 12*2*math.Pi/360 || math.Abs(c.State()[0]) > 2.4 {
		t.Errorf("balanced episode ended out of bounds: %v", c.State())
	}
}

func TestCartPoleResetSeeded(t *testing.T) {
	a, b := NewCartPole(), NewCartPole()
	oa := append([]float64(nil), a.Reset(7)...)
	ob := append([]float64(nil), b.Reset(7)...)
	oc := append([]float64(nil), b.Reset(8)...)
	for i := range oa {
		if oa[i] != ob[i] {
			t.Fatalf("Reset(7) twice: %v and %v", oa, ob)
		}
		if oa[i] < -0.05 || oa[i] >= 0.05 {
			t.Errorf("Reset(7) component %d = %v, outside U(-0.05, 0.05)", i, oa[i])
		}
	}
	same := true
	for i := range oa {
		same = same && oa[i] == oc[i]
	}
	if same {
		t.Errorf("Reset(7) and Reset(8) give the same state %v", oa)
	}
	// Same actions from the same seed: the same trajectory.
	a.Reset(7)
	b.Reset(7)
	for i := 0; i < 30; i++ {
		x, _, da, _ := a.Step((i / 3) % 2)
		y, _, db, _ := b.Step((i / 3) % 2)
		for k := range x {
			if x[k] != y[k] {
				t.Fatalf("step %d from seed 7: %v and %v", i, x, y)
			}
		}
		if da != db {
			t.Fatalf("step %d: done %v and %v", i, da, db)
		}
		if da {
			break
		}
	}
	a.Reset(7)
	if _, _, _, err := a.Step(2); err == nil {
		t.Error("action 2: no error")
	}
}

func TestCartPoleStepBeforeReset(t *testing.T) {
	if _, _, _, err := NewCartPole().Step(0); err == nil {
		t.Error("Step before Reset: no error")
	}
}

var _ Env = (*CartPole)(nil)
