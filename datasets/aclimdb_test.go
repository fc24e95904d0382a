package datasets

import (
	"reflect"
	"testing"
)

func TestACLIMDB(t *testing.T) {
	s, err := ACLIMDB("testdata/aclImdb", "train")
	if err != nil {
		t.Fatal(err)
	}
	want := TextSplit{Texts: []string{"A great film.<br /><br />Loved it.", "Wonderful.", "Dull."}, Labels: []int{1, 1, 0}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %+v", s)
	}
	if s, err := ACLIMDB("testdata/aclImdb", "test"); err != nil || s.Len() != 2 {
		t.Errorf("test split: %v %v", s, err)
	}
	if _, err := ACLIMDB("testdata/aclImdb", "dev"); err == nil {
		t.Error("split dev accepted")
	}
	if _, err := ACLIMDB(t.TempDir(), "train"); err == nil {
		t.Error("an empty directory accepted")
	}
}
