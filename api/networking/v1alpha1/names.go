package v1alpha1

import (
	"fmt"
	"hash/fnv"
)

// WorkName is the name of a TrafficPolicy's Work in every execution
// namespace: "traffic-<namespace>-<name>", cut to 63 characters with a hash
// of the whole when longer.
func WorkName(namespace, name string) string {
	return hashedName("traffic-"+namespace+"-"+name, namespace+"/"+name)
}

// PolicyLabelValue is the value of PolicyLabel on a TrafficPolicy's Works:
// "<namespace>.<name>", cut to 63 characters with a hash when longer (a
// label value has at most 63).
func PolicyLabelValue(namespace, name string) string {
	return hashedName(namespace+"."+name, namespace+"/"+name)
}

func hashedName(name, key string) string {
	if len(name) <= 63 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return fmt.Sprintf("%s-%08x", name[:54], h.Sum32())
}
