package overrides

import (
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"reflect"
	"testing"
)

// crossCloudConfig is seed 001's OverridePolicy, verbatim.
const crossCloudConfig = `
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata:
  name: cross-cloud-config
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: global-app
  overrideRules:
    - targetCluster:
        clusterNames:
          - cluster-hangzhou
      overriders:
        imageOverrider:
          - component: Registry
            operator: replace
            value: registry.cn-hangzhou.aliyuncs.com/company
        commandOverrider:
          - containerName: app
            operator: add
            value:
              - "--region=asia-east"
    - targetCluster:
        clusterNames:
          - cluster-frankfurt
      overriders:
        imageOverrider:
          - component: Registry
            operator: replace
            value: registry.eu-central.example.com/company
        commandOverrider:
          - containerName: app
            operator: add
            value:
              - "--region=eu-central"
              - "--compliance=gdpr"
`

const globalApp = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: global-app
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels: {app: global-app}
  template:
    metadata:
      labels: {app: global-app}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        command: ["nginx", "-g", "daemon off;"]
      - name: sidecar
        image: busybox:1.36
`

func TestSeedCrossCloudConfig(t *testing.T) {
	policy := mustOverridePolicy(t, crossCloudConfig)
	tests := []struct {
		cluster        ClusterInfo
		wantImage      string
		wantCommand    []any
		wantSidecar    string
		wantAppliedIdx []int
	}{
		{
			cluster:        ClusterInfo{Name: "cluster-hangzhou", Labels: map[string]string{"region": "asia-east"}},
			wantImage:      "registry.cn-hangzhou.aliyuncs.com/company/nginx:1.25",
			wantCommand:    []any{"nginx", "-g", "daemon off;", "--region=asia-east"},
			wantSidecar:    "registry.cn-hangzhou.aliyuncs.com/company/busybox:1.36",
			wantAppliedIdx: []int{0},
		},
		{
			cluster:        ClusterInfo{Name: "cluster-frankfurt", Labels: map[string]string{"region": "eu-central"}},
			wantImage:      "registry.eu-central.example.com/company/nginx:1.25",
			wantCommand:    []any{"nginx", "-g", "daemon off;", "--region=eu-central", "--compliance=gdpr"},
			wantSidecar:    "registry.eu-central.example.com/company/busybox:1.36",
			wantAppliedIdx: []int{1},
		},
		{
			cluster:     ClusterInfo{Name: "cluster-shanghai", Labels: map[string]string{"region": "asia-east"}},
			wantImage:   "nginx:1.25",
			wantCommand: []any{"nginx", "-g", "daemon off;"},
			wantSidecar: "busybox:1.36",
		},
	}
	for _, tt := range tests {
		t.Run(tt.cluster.Name, func(t *testing.T) {
			obj := mustObject(t, globalApp)
			before := obj.DeepCopy()
			out, applied, err := Apply(obj, tt.cluster, nil, []policyv1alpha1.OverridePolicy{policy})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(obj, before) {
				t.Error("Apply modified its input")
			}
			app := container(t, out, 0)
			if app["image"] != tt.wantImage {
				t.Errorf("app image = %v, want %v", app["image"], tt.wantImage)
			}
			if !reflect.DeepEqual(app["command"], tt.wantCommand) {
				t.Errorf("app command = %v, want %v", app["command"], tt.wantCommand)
			}
			if got := container(t, out, 1)["image"]; got != tt.wantSidecar {
				t.Errorf("sidecar image = %v, want %v", got, tt.wantSidecar)
			}
			if tt.wantAppliedIdx == nil {
				if len(applied) != 0 {
					t.Errorf("applied = %+v, want none", applied)
				}
				return
			}
			want := []AppliedOverride{{Kind: KindOverridePolicy, Namespace: "default", Name: "cross-cloud-config", Rules: tt.wantAppliedIdx}}
			if !reflect.DeepEqual(applied, want) {
				t.Errorf("applied = %+v, want %+v", applied, want)
			}
		})
	}
}
