// The pod sandbox ("pause") process of `npm run e2e -- --real-pods`; standard library only.
module grpc-lb/e2e/tools/pause

go 1.24.0
