import { describe, expect, it } from 'vitest';
import { deployments } from './yaml';

describe('deployments in the harness YAML', () => {
  it('reads flow-style metadata, skipping other kinds', () => {
    const yaml = `apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: team-a-web, namespace: team-a}
spec:
  replicas: 3
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: team-a}
`;
    expect(deployments(yaml)).toEqual([{ name: 'team-a-web', namespace: 'team-a' }]);
  });

  it('reads block metadata and defaults the namespace', () => {
    const yaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: nginx
  name: nginx
spec:
  template:
    metadata:
      name: not-this
`;
    expect(deployments(yaml)).toEqual([{ name: 'nginx', namespace: 'default' }]);
  });
});
