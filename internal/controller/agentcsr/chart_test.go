package agentcsr_test

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kurator-go/kurator/internal/agentinstall"
	"github.com/kurator-go/kurator/internal/controller/agentcsr"
	"github.com/kurator-go/kurator/internal/install"
)

// TestChartAgentRBACMatchesCode: the chart's agent roles are the ones the
// CLI makes on a hub without the chart (`kurator token create`), so an agent
// is authorised the same either way.
func TestChartAgentRBACMatchesCode(t *testing.T) {
	rel, err := install.Render(install.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rendered := func(kind, name string, into any) {
		t.Helper()
		for _, o := range rel.Objects {
			if o.GetKind() == kind && o.GetName() == name {
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, into); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
		t.Fatalf("the chart renders no %s %s", kind, name)
	}
	var role, bootstrap rbacv1.ClusterRole
	var binding rbacv1.ClusterRoleBinding
	rendered("ClusterRole", agentcsr.AgentRoleName, &role)
	rendered("ClusterRole", agentinstall.BootstrapRBACName, &bootstrap)
	rendered("ClusterRoleBinding", agentinstall.BootstrapRBACName, &binding)
	if want := agentcsr.AgentClusterRole().Rules; !equality.Semantic.DeepEqual(role.Rules, want) {
		t.Errorf("chart ClusterRole %s rules\n%+v\nAgentClusterRole()\n%+v", agentcsr.AgentRoleName, role.Rules, want)
	}
	if want := agentinstall.BootstrapClusterRole().Rules; !equality.Semantic.DeepEqual(bootstrap.Rules, want) {
		t.Errorf("chart ClusterRole %s rules\n%+v\nagentinstall.BootstrapClusterRole()\n%+v", bootstrap.Name, bootstrap.Rules, want)
	}
	want := agentinstall.BootstrapClusterRoleBinding()
	if !equality.Semantic.DeepEqual(binding.Subjects, want.Subjects) || binding.RoleRef != want.RoleRef {
		t.Errorf("chart ClusterRoleBinding %s = %+v %+v, agentinstall's %+v %+v", binding.Name, binding.RoleRef, binding.Subjects, want.RoleRef, want.Subjects)
	}
}
