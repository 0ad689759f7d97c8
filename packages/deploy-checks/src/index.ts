// @pixmill/deploy-checks: reads the deployment files (Dockerfile, docker-compose.yml, k8s/, Grafana) and what the
// code says they must match; the tests in test/ compare them and replay the image build outside Docker.
export * from './build-dryrun';
export * from './compose';
export * from './dockerfile';
export * from './dockerignore';
export * from './dotenv';
export * from './k8s';
export * from './repo';
export * from './node-options';
