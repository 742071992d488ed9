import FlintEngine
import FlintUI

extension EngineRules {
    /// The regions and couriers these rules can assign, for the dashboard's breakdowns.
    var dashboardDimensions: DashboardDimensions {
        var couriers: Set<String> = [self.couriers.defaultCourier]
        for r in self.couriers.regions.values { couriers.formUnion(r.serves.union([r.defaultCourier])) }
        let regions = Set(self.regions.table.values).union(self.couriers.regions.keys).union([self.regions.defaultRegion])
        return DashboardDimensions(regions: regions.sorted(), couriers: couriers.sorted())
    }
}
