/// The defaults used when `rules/engine.json` is missing: the repository's rules files, verbatim
/// (a unit test keeps them identical).
enum BuiltInRules {
    static let engine = #"""
{
  "trust": {
    "initialScore": 50,
    "deliveredBonus": 2,
    "refundPenalty": 5,
    "min": 0,
    "max": 100
  },
  "loyaltyTiers": {
    "repeat": 3,
    "gold": 11,
    "platinum": 26
  },
  "dubious": {
    "trustScoreBelow": 30,
    "returnRateAbove": 0.5,
    "minOrdersForReturnRate": 4
  },
  "approval": {
    "minTrustScore": 40,
    "maxOrderTotal": 10000,
    "newCustomerOrdersBelow": 3,
    "newCustomerMaxOrderTotal": 3000
  },
  "inactivity": {
    "dormantAfterDays": 30,
    "atRiskFrequencyMultiple": 2,
    "runEveryMinutes": 60
  },
  "regions": {
    "table": "regions.json",
    "default": "Unmapped"
  },
  "couriers": {
    "default": "indiapost",
    "regions": {
      "Delhi-North": { "default": "delhivery", "serves": ["delhivery", "amazon", "bluedart", "xpressbees"] },
      "Delhi-South": { "default": "delhivery", "serves": ["delhivery", "amazon", "bluedart", "dtdc"] },
      "Gurugram": { "default": "delhivery", "serves": ["delhivery", "amazon", "bluedart"] },
      "Mumbai-West": { "default": "bluedart", "serves": ["bluedart", "amazon", "delhivery", "shadowfax"] },
      "Pune-West": { "default": "delhivery", "serves": ["delhivery", "amazon", "xpressbees"] },
      "Bengaluru-South": { "default": "shadowfax", "serves": ["shadowfax", "amazon", "delhivery", "bluedart"] },
      "Chennai-South": { "default": "delhivery", "serves": ["delhivery", "amazon", "dtdc"] },
      "Hyderabad-West": { "default": "ecomexpress", "serves": ["ecomexpress", "delhivery", "amazon"] },
      "Kolkata-South": { "default": "xpressbees", "serves": ["xpressbees", "ecomexpress", "delhivery"] },
      "Ahmedabad-West": { "default": "dtdc", "serves": ["dtdc", "delhivery", "shadowfax"] },
      "Jaipur-South": { "default": "bluedart", "serves": ["bluedart", "delhivery"] },
      "Lucknow-East": { "default": "delhivery", "serves": ["delhivery", "indiapost"] },
      "Ludhiana": { "default": "delhivery", "serves": ["delhivery", "dtdc"] },
      "Chandigarh": { "default": "dtdc", "serves": ["dtdc", "delhivery"] },
      "Kochi": { "default": "indiapost", "serves": ["indiapost", "bluedart"] },
      "Patna-Central": { "default": "indiapost", "serves": ["indiapost", "ecomexpress"] }
    }
  },
  "notifications": {
    "channel": "whatsapp",
    "defaultLanguage": "en",
    "orderTemplates": {
      "approved": "order_confirmed",
      "shipped": "order_shipped",
      "delivered": "order_delivered",
      "cancelled": "order_cancelled",
      "returned": "order_returned"
    },
    "atRiskTemplate": "retarget_at_risk",
    "dormantTemplate": "retarget_dormant"
  }
}
"""#

    static let regions = #"""
{
  "110009": "Delhi-North",
  "110017": "Delhi-South",
  "122002": "Gurugram",
  "141001": "Ludhiana",
  "160022": "Chandigarh",
  "226010": "Lucknow-East",
  "302017": "Jaipur-South",
  "380015": "Ahmedabad-West",
  "400050": "Mumbai-West",
  "411038": "Pune-West",
  "500081": "Hyderabad-West",
  "560034": "Bengaluru-South",
  "600020": "Chennai-South",
  "682024": "Kochi",
  "700019": "Kolkata-South",
  "800001": "Patna-Central"
}
"""#
}
