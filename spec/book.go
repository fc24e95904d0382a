package spec

import "github.com/neurona/neurona/examples"

// BookNames lists the book examples that train (examples.Names): the
// names that Book takes, sorted.
func BookNames() []string { return examples.Names() }

// Book parses the embedded spec of a book example, e.g. "lenet"; its
// errors name it examples/specs/NAME.yaml. An unknown name gives an error
// that wraps examples.ErrUnknown and lists the valid names.
func Book(name string) (*Spec, error) {
	src, err := examples.Spec(name)
	if err != nil {
		return nil, err
	}
	return Parse(src, BookFile(name), "")
}

// BookFile is the name a book example's spec has in errors and in the
// repository: examples/specs/NAME.yaml.
func BookFile(name string) string { return "examples/specs/" + name + ".yaml" }
