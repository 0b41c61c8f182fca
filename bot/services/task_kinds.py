"""The names of the scheduled task kinds, in one place (the modules that run them import
each other's services, so the names live apart)."""

NO_RESPONSE = "flow.no_response"  # a parent did not answer a flow's question in time
FOLLOW_UP = "flow.follow_up"  # start a flow with a parent later: check-in, satisfaction
OFFER_TIMEOUT = "case.offer_timeout"  # a VP did not answer an offer
VP_REMINDER = "case.vp_reminder"  # a VP accepted but has not written to the parent
MEDIATE = "case.mediate"  # the parent said "not yet" and still nobody wrote
AWAY_END = "staff.away_end"  # a VP's return date after /away DD-MM
REFERRAL_SILENT = "referral.silent"  # a check-in about a referral nobody answered
URGENT_EVERYONE = "urgent.everyone"
URGENT_COORDINATOR = "urgent.coordinator"
URGENT_BREACH = "urgent.breach"
URGENT_ALERT = "urgent.alert"  # after a breach: the coordinators again, until contact
RELAY_PACED = "relay.paced"  # a parent's message held during a flood, relayed at the pace
