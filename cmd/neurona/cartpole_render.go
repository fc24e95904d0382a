package main

import (
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"math"
	"os"

	"github.com/neurona/neurona/envs"
)

// renderEpisode plays one greedy episode (ε = 0) of the trained agent from
// the state seed gives and writes it to path as an animated GIF, one frame
// per step: the track, the cart and the pole, drawn as gym's viewer does
// (600×400, 2.4 m either side of the centre).
func renderEpisode(a *dqnAgent, seed int64, path string) (steps int, err error) {
	const w, h = 600, 400
	const scale = w / (2 * envs.CartPoleXThreshold)
	const trackY, cartW, cartH = 300, 50, 30
	poleLen := scale * 2 * 0.5 // the pole is 2·length = 1 m
	pal := color.Palette{color.White, color.Black, color.RGBA{0xcc, 0x99, 0x66, 0xff}, color.RGBA{0x80, 0x80, 0xcc, 0xff}}
	env := envs.NewCartPole()
	var s [4]float64
	copy(s[:], env.Reset(seed))
	anim := &gif.GIF{}
	frame := func(s [4]float64) {
		img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
		for x := 0; x < w; x++ {
			img.SetColorIndex(x, trackY, 1)
		}
		cx := int(s[0]*scale + w/2)
		for y := trackY - cartH; y < trackY; y++ {
			for x := cx - cartW/2; x < cx+cartW/2; x++ {
				img.SetColorIndex(x, y, 1)
			}
		}
		px, py := float64(cx), float64(trackY-cartH)
		for t := 0.0; t <= 1; t += 1 / poleLen {
			x := px + t*poleLen*math.Sin(s[2])
			y := py - t*poleLen*math.Cos(s[2])
			for d := -4; d <= 4; d++ {
				img.SetColorIndex(int(x)+d, int(y), 2)
			}
		}
		for dy := -3; dy <= 3; dy++ {
			for dx := -3; dx <= 3; dx++ {
				img.SetColorIndex(cx+dx, int(py)+dy, 3)
			}
		}
		anim.Image = append(anim.Image, img)
		anim.Delay = append(anim.Delay, 2) // tau = 0.02 s
	}
	frame(s)
	for {
		if err := a.predict(s); err != nil {
			return steps, err
		}
		action := 0
		if a.q.Data[1] > a.q.Data[0] {
			action = 1
		}
		obs, _, done, err := env.Step(action)
		if err != nil {
			return steps, err
		}
		steps++
		copy(s[:], obs)
		frame(s)
		if done {
			break
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return steps, fmt.Errorf("render: %w", err)
	}
	if err := gif.EncodeAll(f, anim); err != nil {
		f.Close()
		return steps, fmt.Errorf("render %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return steps, fmt.Errorf("render %s: %w", path, err)
	}
	return steps, nil
}
