module gobvectors

go 1.19
