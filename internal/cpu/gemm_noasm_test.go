//go:build noasm || !amd64

package cpu

func gemmVariants() []string { return []string{"generic"} }

func useGemmVariant(name string) (restore func()) {
	if name != "generic" {
		panic("unknown gemm variant " + name)
	}
	return func() {}
}

func gemmPolicies(variant string) []string { return []string{"auto"} }

func useGemmPolicy(name string) (restore func()) { return func() {} }
