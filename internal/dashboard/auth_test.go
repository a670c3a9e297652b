package dashboard

import (
	"context"
	"errors"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// reviews answers SubjectAccessReviews from answers in turn (an error or
// allowed), counting the calls.
func reviews(answers ...any) (*fake.Clientset, *int) {
	kube := fake.NewClientset()
	calls := 0
	kube.PrependReactor("create", "subjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		a := answers[min(calls, len(answers)-1)]
		calls++
		if err, ok := a.(error); ok {
			return true, nil, err
		}
		return true, &authorizationv1.SubjectAccessReview{Status: authorizationv1.SubjectAccessReviewStatus{Allowed: a.(bool)}}, nil
	})
	return kube, &calls
}

var viewer = identity{User: "system:serviceaccount:team-a:viewer"}

func TestAReviewThatFailedIsAskedAgain(t *testing.T) {
	kube, calls := reviews(errors.New("the hub is busy"), true)
	a := newAuthenticator(kube, "", identity{})
	q := access{"get", "apps", "deployments", "team-a"}
	if a.allowed(context.Background(), &viewer, q) {
		t.Fatal("a failed review allowed the read")
	}
	if !a.allowed(context.Background(), &viewer, q) || !a.allowed(context.Background(), &viewer, q) {
		t.Fatal("the review after a failure was not asked again, or its answer not kept")
	}
	if *calls != 2 {
		t.Fatalf("%d reviews, want 2: the failure uncached, the answer cached", *calls)
	}
}

func TestOwnerNeedsNoReview(t *testing.T) {
	kube, calls := reviews(false)
	a := newAuthenticator(kube, "secret", identity{User: "kurator-admin"})
	id, err := a.login(context.Background(), "secret")
	if err != nil || !id.Owner || !a.allowed(context.Background(), &id, access{"list", "", "secrets", ""}) || *calls != 0 {
		t.Fatalf("login token: %+v, %v, %d reviews", id, err, *calls)
	}
}
