package memberwatch

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestOwnerWork(t *testing.T) {
	cases := []struct {
		annotation string
		want       types.NamespacedName
		ok         bool
	}{
		{"kurator-member-a/nginx-deployment", types.NamespacedName{Namespace: "kurator-member-a", Name: "nginx-deployment"}, true},
		{"", types.NamespacedName{}, false},
		{"no-slash", types.NamespacedName{}, false},
		{"/name", types.NamespacedName{}, false},
		{"ns/", types.NamespacedName{}, false},
	}
	for _, tc := range cases {
		got, ok := OwnerWork(map[string]string{WorkAnnotation: tc.annotation})
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: got %v %v, want %v %v", tc.annotation, got, ok, tc.want, tc.ok)
		}
	}
}
