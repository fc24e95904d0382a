package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/neurona/neurona/layers"
)

// A graph spec is the functional API in YAML (see README.md, "Graphs"):
//
//	model:
//	  inputs: [image]              # optional: every Input, in order
//	  layers:
//	    - Input: {name: image, shape: [784]}
//	    - Dense: {name: left, units: 64, activation: relu}
//	      inputs: [image]
//	    - Dense: {units: 10, activation: softmax}   # takes left's output
//	    - apply: left                # left again, sharing its weights
//	      inputs: [image]
//	  outputs: [dense_1, "left[1]"]  # optional: the last layer's output
//
// A layer takes the outputs its inputs name, or the previous entry's output
// when it names none. References are to earlier entries only, so a graph
// spec has no cycles: a name defined later is an error. "name" is a layer's
// first application, "name[k]" its k-th (from 0, as Keras's
// "layer[node]"), and "name[k][i]" the i-th tensor that application
// returns (Keras's "layer[node][tensor]": an LSTM with return_state
// returns [output, h, c]; the others are tensor 0); a layer without a
// name is referred to by the name Keras gives it in a fresh session,
// counted in the spec: dense_1, dense_2, ….

// graphSpec is a spec's graph: layer applications in the spec's order.
type graphSpec struct {
	nodes     []nodeSpec
	inputs    []int // nodes of the model's inputs
	outputs   []int // nodes of its outputs
	outTensor []int // which of each output node's tensors
	outRefs   []*yaml.Node
}

// nodeSpec is one application of a layer of Spec.layers.
type nodeSpec struct {
	layer  int   // index in Spec.layers
	inputs []int // indices in graphSpec.nodes
	// tensors are which of each input node's tensors it takes (0 but
	// for a layer with several outputs), refs the references (nil for
	// the previous entry's output).
	tensors []int
	refs    []*yaml.Node
	line    int
	ref     string // how the spec refers to the node's output
}

// Graph reports whether the spec describes a graph (the functional API)
// rather than a Sequential stack: Build then returns the graph's Model,
// and BuildSequential refuses it.
func (s *Spec) Graph() bool { return s.graph != nil }

// isGraph tells a graph spec: it has model.inputs or model.outputs, or a
// layer names its inputs or applies a layer again.
func isGraph(model map[string]*yaml.Node) bool {
	if model["inputs"] != nil || model["outputs"] != nil {
		return true
	}
	ls := model["layers"]
	if ls == nil || ls.Kind != yaml.SequenceNode {
		return false
	}
	for _, item := range ls.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i < len(item.Content); i += 2 {
			if k := item.Content[i].Value; k == "inputs" || k == "apply" {
				return true
			}
		}
	}
	return false
}

var (
	nodeRef   = regexp.MustCompile(`^(.+)\[(\d+)\]$`)
	tensorRef = regexp.MustCompile(`^(.+)\[(\d+)\]\[(\d+)\]$`)
)

// parseGraph reads a graph spec's model section.
func (s *Spec) parseGraph(n *yaml.Node, m map[string]*yaml.Node) error {
	if v, ok := m["input_shape"]; ok {
		return s.errorf(v, "model.input_shape is for a Sequential stack; in a graph each Input layer has a shape, e.g. `- Input: {shape: [784]}`")
	}
	if v, ok := m["name"]; ok {
		if err := s.decode(v, "model.name", "a string", &s.Name); err != nil {
			return err
		}
	}
	ls, ok := m["layers"]
	if !ok || ls.Kind != yaml.SequenceNode || len(ls.Content) == 0 {
		return s.errorf(n, "model.layers must list the layers, e.g. `- Input: {shape: [784]}`")
	}
	g := &graphSpec{}
	s.graph = g

	// First the layers and their names, so that a reference to a later
	// layer can say where it is.
	type entry struct {
		item, inputs *yaml.Node
		apply        *yaml.Node // the layer an apply entry names
	}
	entries := make([]entry, len(ls.Content))
	byName := map[string]int{} // name → index in s.layers
	counters := map[string]int{}
	for i, item := range ls.Content {
		e := entry{item: item}
		class, args := "", (*yaml.Node)(nil)
		switch item.Kind {
		case yaml.ScalarNode:
			class = item.Value
		case yaml.MappingNode:
			for j := 0; j+1 < len(item.Content); j += 2 {
				k, v := item.Content[j], item.Content[j+1]
				switch {
				case k.Value == "inputs":
					e.inputs = v
				case k.Value == "apply":
					e.apply = v
				case class != "":
					return s.errorf(k, "one layer per entry: `- %s: {...}` is followed by %q (an entry is `- Class: {arguments}` with an optional `inputs: [...]`)", class, k.Value)
				default:
					class, args = k.Value, v
				}
			}
		default:
			return s.errorf(item, "each layer is written as `- Class: {arguments}`, with an optional `inputs: [names]`")
		}
		switch {
		case e.apply != nil && class != "":
			return s.errorf(item, "an entry either defines a layer (%s) or applies one again (apply: %s), not both", class, nodeText(e.apply))
		case e.apply != nil:
			if e.apply.Kind != yaml.ScalarNode {
				return s.errorf(e.apply, "apply names one layer defined above, e.g. `apply: encoder`")
			}
			entries[i] = e
			continue
		case class == "":
			return s.errorf(item, "the entry names no layer class: write `- Class: {arguments}`")
		}
		ly, err := s.parseLayer(item, class, args)
		if err != nil {
			return err
		}
		if ly.name == "" {
			prefix := layers.NamePrefix(ly.class)
			counters[prefix]++
			ly.name = prefix + "_" + strconv.Itoa(counters[prefix])
		}
		if j, dup := byName[ly.name]; dup {
			return s.errorf(item, "two layers are named %q (lines %d and %d): layer names must be unique", ly.name, s.layers[j].line, item.Line)
		}
		byName[ly.name] = len(s.layers)
		s.layers = append(s.layers, ly)
		entries[i] = e
	}

	// The lines of every application of each layer, for references to
	// later ones.
	appLines := make([][]int, len(s.layers))
	li := 0
	for _, e := range entries {
		if e.apply == nil {
			appLines[li] = append(appLines[li], e.item.Line)
			li++
		} else if l, ok := byName[e.apply.Value]; ok {
			appLines[l] = append(appLines[l], e.item.Line)
		}
	}

	// Then the applications, each from the outputs of earlier ones.
	applied := make([][]int, len(s.layers)) // per layer: its nodes so far
	// resolve finds the node a reference names, among those made so far.
	// It returns the node and which of its tensors.
	resolve := func(ref *yaml.Node, user string, line int) (int, int, error) {
		if ref.Kind != yaml.ScalarNode || ref.Value == "" {
			return 0, 0, s.errorf(ref, "%s: an input is a layer's name, such as dense_1, \"dense_1[1]\" for its second application or \"lstm_1[0][1]\" for the second tensor its first returns", user)
		}
		name, k, ti := ref.Value, 0, 0
		if m := tensorRef.FindStringSubmatch(name); m != nil {
			name = m[1]
			k, _ = strconv.Atoi(m[2])
			ti, _ = strconv.Atoi(m[3])
		} else if m := nodeRef.FindStringSubmatch(name); m != nil {
			name = m[1]
			k, _ = strconv.Atoi(m[2])
		}
		li, ok := byName[name]
		if !ok {
			return 0, 0, s.errorf(ref, "%s: unknown input %q (layers: %s)", user, ref.Value, strings.Join(s.layerNames(), ", "))
		}
		if k < len(applied[li]) {
			return applied[li][k], ti, nil
		}
		switch {
		case k >= len(appLines[li]):
			return 0, 0, s.errorf(ref, "%s: input %q: layer %q has applications 0 to %d only", user, ref.Value, name, len(appLines[li])-1)
		case appLines[li][k] == line:
			return 0, 0, s.errorf(ref, "%s: input %q is this entry's own output: a layer cannot take its own output", user, ref.Value)
		}
		return 0, 0, s.errorf(ref, "%s: input %q is defined later, at line %d: a layer must come after its inputs", user, ref.Value, appLines[li][k])
	}
	li = 0 // the next layer definition
	for i, e := range entries {
		ns := nodeSpec{line: e.item.Line}
		what := ""
		if e.apply != nil {
			l, ok := byName[e.apply.Value]
			if !ok {
				return s.errorf(e.apply, "apply: unknown layer %q (layers: %s)", e.apply.Value, strings.Join(s.layerNames(), ", "))
			}
			if len(applied[l]) == 0 {
				return s.errorf(e.apply, "apply: layer %q is defined later, at line %d: define a layer before applying it again", e.apply.Value, s.layers[l].line)
			}
			if s.layers[l].class == "InputLayer" {
				return s.errorf(e.apply, "apply: %q is an Input: an Input is not applied to tensors", e.apply.Value)
			}
			ns.layer = l
			what = fmt.Sprintf("apply %s", e.apply.Value)
		} else {
			ns.layer = li
			li++
			what = fmt.Sprintf("layer %q (%s)", s.layers[ns.layer].name, s.layers[ns.layer].class)
		}
		isInput := s.layers[ns.layer].class == "InputLayer"
		switch {
		case isInput && e.inputs != nil:
			return s.errorf(e.inputs, "%s: an Input takes no inputs", what)
		case isInput:
		case e.inputs == nil && i == 0:
			return s.errorf(e.item, "%s: the first layer of a graph must be an Input, e.g. `- Input: {shape: [784]}`, or name its inputs", what)
		case e.inputs == nil:
			ns.inputs, ns.tensors, ns.refs = []int{len(g.nodes) - 1}, []int{0}, []*yaml.Node{nil}
		default:
			refs := []*yaml.Node{e.inputs}
			if e.inputs.Kind == yaml.SequenceNode {
				refs = e.inputs.Content
			}
			if len(refs) == 0 {
				return s.errorf(e.inputs, "%s: inputs is empty: name the layers it takes, or leave inputs out for the previous layer's output", what)
			}
			for _, ref := range refs {
				k, ti, err := resolve(ref, what, e.item.Line)
				if err != nil {
					return err
				}
				ns.inputs, ns.tensors, ns.refs = append(ns.inputs, k), append(ns.tensors, ti), append(ns.refs, ref)
			}
		}
		ns.ref = s.layers[ns.layer].name
		if k := len(applied[ns.layer]); k > 0 {
			ns.ref = fmt.Sprintf("%s[%d]", ns.ref, k)
		}
		applied[ns.layer] = append(applied[ns.layer], len(g.nodes))
		g.nodes = append(g.nodes, ns)
	}

	// The model's inputs: Input layers, every one in order by default.
	if v, ok := m["inputs"]; ok {
		refs, err := s.nameList(v, "model.inputs")
		if err != nil {
			return err
		}
		for _, ref := range refs {
			l, ok := byName[ref.Value]
			if !ok {
				return s.errorf(ref, "model.inputs: unknown layer %q (Inputs: %s)", ref.Value, strings.Join(s.inputNames(), ", "))
			}
			if s.layers[l].class != "InputLayer" {
				return s.errorf(ref, "model.inputs: %q is a %s layer, not an Input (Inputs: %s)", ref.Value, s.layers[l].class, strings.Join(s.inputNames(), ", "))
			}
			for _, k := range g.inputs {
				if k == applied[l][0] {
					return s.errorf(ref, "model.inputs: %q is listed twice", ref.Value)
				}
			}
			g.inputs = append(g.inputs, applied[l][0])
		}
	} else {
		for k, ns := range g.nodes {
			if s.layers[ns.layer].class == "InputLayer" {
				g.inputs = append(g.inputs, k)
			}
		}
	}
	// The outputs: the last entry's by default.
	outLine := map[[2]int]*yaml.Node{}
	if v, ok := m["outputs"]; ok {
		refs, err := s.nameList(v, "model.outputs")
		if err != nil {
			return err
		}
		for _, ref := range refs {
			k, ti, err := resolve(ref, "model.outputs", 0)
			if err != nil {
				return err
			}
			if _, dup := outLine[[2]int{k, ti}]; dup {
				return s.errorf(ref, "model.outputs: %q is listed twice", ref.Value)
			}
			outLine[[2]int{k, ti}] = ref
			g.outputs, g.outTensor, g.outRefs = append(g.outputs, k), append(g.outTensor, ti), append(g.outRefs, ref)
		}
	} else {
		g.outputs, g.outTensor, g.outRefs = []int{len(g.nodes) - 1}, []int{0}, []*yaml.Node{nil}
	}
	return s.checkGraph(m)
}

// checkGraph checks that the outputs depend on the model's inputs only,
// that every input is used and that every layer leads to an output.
func (s *Spec) checkGraph(m map[string]*yaml.Node) error {
	g := s.graph
	used := make([]bool, len(g.nodes))
	isInput := map[int]bool{}
	for _, k := range g.inputs {
		isInput[k] = true
	}
	outputs := make([]string, len(g.outputs))
	for i, k := range g.outputs {
		outputs[i] = g.nodes[k].ref
	}
	var outLine = func(i int) *yaml.Node {
		if v := m["outputs"]; v != nil && v.Kind == yaml.SequenceNode && i < len(v.Content) {
			return v.Content[i]
		}
		if v := m["outputs"]; v != nil {
			return v
		}
		return &yaml.Node{Line: g.nodes[g.outputs[i]].line}
	}
	for i, out := range g.outputs {
		var walk func(k int) error
		walk = func(k int) error {
			if used[k] {
				return nil
			}
			used[k] = true
			ns := g.nodes[k]
			if s.layers[ns.layer].class == "InputLayer" && !isInput[k] {
				return s.errorf(outLine(i), "output %q is not reachable from model.inputs: it depends on the Input %q (line %d), which model.inputs does not list",
					outputs[i], ns.ref, ns.line)
			}
			for _, x := range ns.inputs {
				if err := walk(x); err != nil {
					return err
				}
			}
			return nil
		}
		if err := walk(out); err != nil {
			return err
		}
	}
	for k, ns := range g.nodes {
		if used[k] {
			continue
		}
		l := s.layers[ns.layer]
		if l.class == "InputLayer" {
			return &Error{File: s.File, Line: ns.line, Msg: fmt.Sprintf("input %q is not used by any output (model.outputs: %s)", ns.ref, strings.Join(outputs, ", "))}
		}
		return &Error{File: s.File, Line: ns.line, Msg: fmt.Sprintf("layer %q (%s) does not lead to any output (model.outputs: %s)", ns.ref, l.class, strings.Join(outputs, ", "))}
	}
	return nil
}

// nameList reads a list of names (or one name).
func (s *Spec) nameList(v *yaml.Node, what string) ([]*yaml.Node, error) {
	refs := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		refs = v.Content
	}
	if len(refs) == 0 {
		return nil, s.errorf(v, "%s is empty", what)
	}
	for _, r := range refs {
		if r.Kind != yaml.ScalarNode || r.Value == "" {
			return nil, s.errorf(r, "%s must list layer names, such as [dense_1]", what)
		}
	}
	return refs, nil
}

func (s *Spec) layerNames() []string {
	names := make([]string, len(s.layers))
	for i, l := range s.layers {
		names[i] = l.name
	}
	return names
}

func (s *Spec) inputNames() []string {
	var names []string
	for _, l := range s.layers {
		if l.class == "InputLayer" {
			names = append(names, l.name)
		}
	}
	return names
}
