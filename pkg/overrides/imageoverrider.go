package overrides

import (
	"fmt"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// overrideImage applies one imageOverrider. With a predicate only the string
// at predicate.path changes, and that path must exist; without one every
// containers[].image of a known workload kind changes (other kinds: no-op).
// An image that is not a valid reference fails the override, as in Karmada,
// and so does a container without an image.
func overrideImage(obj map[string]any, o *policyv1alpha1.ImageOverrider) error {
	// Validate once up front so that a bad component fails even on objects
	// without containers, instead of lurking until some cluster has one.
	if err := new(Image).Override(o.Component, o.Operator, o.Value); err != nil {
		return err
	}
	if o.Predicate != nil {
		path := o.Predicate.Path
		cur, err := getPointer(obj, path)
		if err != nil {
			return &pathError{path: path, err: err}
		}
		ref, ok := cur.(string)
		if !ok {
			return &pathError{path: path, err: fmt.Errorf("is %s, want an image string", typeName(cur))}
		}
		if err := CheckReference(ref); err != nil {
			return &pathError{path: path, err: err}
		}
		img := ParseImage(ref)
		_ = img.Override(o.Component, o.Operator, o.Value) // validated above
		if _, err := patchPointer(obj, policyv1alpha1.OverriderOpReplace, path, img.String()); err != nil {
			return &pathError{path: path, err: err}
		}
		return nil
	}
	list, prefix, err := containerList(obj)
	if err != nil {
		return err
	}
	for i, c := range list {
		container, ok := c.(map[string]any)
		if !ok {
			return &pathError{path: fmt.Sprintf("%s/%d", prefix, i), err: fmt.Errorf("is %s, want a container", typeName(c))}
		}
		var ref string
		switch v := container["image"].(type) {
		case string:
			ref = v
		case nil: // no image: the empty reference, refused below
		default:
			return &pathError{path: fmt.Sprintf("%s/%d/image", prefix, i), err: fmt.Errorf("is %s, want an image string", typeName(v))}
		}
		if err := CheckReference(ref); err != nil {
			return &pathError{path: fmt.Sprintf("%s/%d/image", prefix, i), err: err}
		}
		img := ParseImage(ref)
		_ = img.Override(o.Component, o.Operator, o.Value)
		container["image"] = img.String()
	}
	return nil
}
