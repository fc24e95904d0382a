//go:build !amd64

package main

const hasFMALoops = false

func hasAVX512() bool  { return false }
func fmaLoopZMM(n int) { panic("no FMA loop on this architecture") }
func fmaLoopYMM(n int) { panic("no FMA loop on this architecture") }
