package localfleet

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/internal/registry"
)

// AppHubConfigMap names AppHub's registry on the hub.
const AppHubConfigMap = appsv1alpha1.AppHubConfigMap

// startRegistries starts one registry per cluster of the fleet (the hub's
// is AppHub's), ports[i] for l.state.Clusters[i], all at once; records
// their hosts in the state and writes the AppHub ConfigMap on the hub.
// A member's host reaches its AttachedCluster when it joins (setupHub).
func (l *launcher) startRegistries(ctx context.Context, hub kubernetes.Interface, ports []int) error {
	begin := time.Now()
	idx := make(map[string]int, len(l.state.Clusters))
	for i, c := range l.state.Clusters {
		idx[c.Name] = i
	}
	err := l.parallel(l.state.Clusters, func(c Cluster) error {
		i := idx[c.Name]
		host := "127.0.0.1:" + strconv.Itoa(ports[i])
		cfg, err := registry.WriteConfig(filepath.Join(l.cfg.StateDir, "registries", c.Name), host)
		if err != nil {
			return err
		}
		if err := l.startEnv(ctx, c.Name+"/registry", l.cfg.RegistryBinary, registry.Args(cfg), registry.Env,
			ports[i], "http://"+host+"/v2/", 30*time.Second); err != nil {
			return err
		}
		l.mu.Lock()
		l.state.Clusters[i].Registry = host
		if c.Hub {
			l.state.HubRegistry = host
		}
		l.mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	if err := l.save(); err != nil {
		return err
	}
	if err := writeAppHubConfigMap(ctx, hub, l.state.HubRegistry); err != nil {
		return err
	}
	l.progress.step("registries: AppHub's on %s, one per member; ConfigMap %s/%s written (%.1fs)",
		l.state.HubRegistry, SystemNamespace, AppHubConfigMap, time.Since(begin).Seconds())
	return nil
}

// writeAppHubConfigMap creates or updates the ConfigMap naming AppHub's
// registry.
func writeAppHubConfigMap(ctx context.Context, hub kubernetes.Interface, host string) error {
	data := map[string]string{"registry": host, "insecure": "true"}
	cms := hub.CoreV1().ConfigMaps(SystemNamespace)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: AppHubConfigMap, Namespace: SystemNamespace}, Data: data}
	_, err := cms.Create(ctx, cm, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		var cur *corev1.ConfigMap
		if cur, err = cms.Get(ctx, AppHubConfigMap, metav1.GetOptions{}); err == nil {
			cur.Data = data
			_, err = cms.Update(ctx, cur, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("hub: write ConfigMap %s/%s (AppHub's registry %s): %w", SystemNamespace, AppHubConfigMap, host, err)
	}
	return nil
}
