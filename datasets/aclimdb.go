package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ACLIMDB reads one split ("train" or "test") of the original Large Movie
// Review Dataset archive (aclImdb_v1.tar.gz, unpacked) under dir:
// dir/split/pos/*.txt (label 1) then dir/split/neg/*.txt (label 0), each
// class in file-name order. The texts are returned as they are (the
// archive's "<br />" tags included).
func ACLIMDB(dir, split string) (TextSplit, error) {
	if split != "train" && split != "test" {
		return TextSplit{}, fmt.Errorf("datasets: ACLIMDB: split %q, want \"train\" or \"test\"", split)
	}
	var s TextSplit
	for _, c := range []struct {
		name  string
		label int
	}{{"pos", 1}, {"neg", 0}} {
		d := filepath.Join(dir, split, c.name)
		files, err := filepath.Glob(filepath.Join(d, "*.txt"))
		if err != nil {
			return TextSplit{}, fmt.Errorf("datasets: ACLIMDB: %w", err)
		}
		if len(files) == 0 {
			return TextSplit{}, fmt.Errorf("datasets: ACLIMDB: no .txt files in %s (want the aclImdb/ layout: train|test/pos|neg/*.txt)", d)
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return TextSplit{}, fmt.Errorf("datasets: ACLIMDB: %w", err)
			}
			s.Texts = append(s.Texts, strings.TrimRight(string(b), "\n"))
			s.Labels = append(s.Labels, c.label)
		}
	}
	return s, nil
}
