package works

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

func TestSameManifests(t *testing.T) {
	a := []runtime.RawExtension{{Raw: []byte(`{"kind":"ConfigMap","data":{"a":"1","b":"2"}}`)}}
	b := []runtime.RawExtension{{Raw: []byte(`{"data":{"b":"2","a":"1"},"kind":"ConfigMap"}`)}}
	c := []runtime.RawExtension{{Raw: []byte(`{"data":{"b":"3","a":"1"},"kind":"ConfigMap"}`)}}
	if !SameManifests(a, b) {
		t.Error("key order counted as a change")
	}
	if SameManifests(a, c) || SameManifests(a, nil) {
		t.Error("a changed value or count not noticed")
	}
}
