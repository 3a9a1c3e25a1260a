package bot

// The keys of an event's Data, by action (docs/rules/lifecycle.md,
// "Actions"). These strings are hashed into each proposal's chain
// (HashEvent) and are how every stored event is read back: they must never
// be renamed. A new key is added here; a changed meaning gets a new key,
// and the reading code keeps reading the old one (docs/rules/history.md).
//
//	action            key                  holds
//	submit            DataUnit             id of the unit filed in (org file)
//	                  DataProposer         person id of the proposer
//	                  DataEscalation       levels above the unit it starts at, decimal;
//	                                       only for a leader's own proposal
//	submit, resubmit  Field* (FormFields)  the proposal's fields as typed; kind is
//	                                       KindUnregulated or KindUnsuitable,
//	                                       duration may be absent
//	                  AttestConstitution   "yes": not contrary to the Constitution
//	                                       and the Party Charter
//	                  AttestNoInterest     "yes": no personal or group interest
//	approve_pilot     DataEnd              the pilot's end date, YYYY-MM-DD
//	                  DataCadence          report cadence, a Go duration ("336h0m0s")
//	                  DataConditions       conditions, text; absent when skipped
//	request_revision  DataNote             what to change, text
//	reject            DataReason           text
//	withdraw          (none)
//	report            DataText             the progress, text
//	raise_obstacle    DataText             the difficulty, text
//	respond           DataObstacle         the number of the obstacle answered, 1-based decimal
//	                  DataAnswer           the support given or the decision, text
//	check             DataVerdict          on_track, needs_support or off_track
//	                  DataNote             text; absent when skipped
//	adjust            exactly one of       the new term, in the form approve_pilot
//	                  DataEnd, DataCadence, records it; scope and conditions as text
//	                  DataScope, DataConditions
//	suspend           DataReason           text
//	resume            DataNote             text; absent when skipped
//	stop              DataReason           text
//	                  DataViolation        yes or no: a violation was found
//	complete          DataOutcome          achieved or not_achieved
//	                  DataLessons          text
//	                  DataRecommend        yes or no: recommend wider adoption
//	escalate          DataLevel            levels above the unit it now reaches, decimal
//	                  DataReason           ReasonReview or ReasonObstacle: what waited
//	any               DataActorName        the actor's platform name, only when the
//	                                       org file has none for them
const (
	DataUnit       = "unit"
	DataProposer   = "proposer"
	DataEscalation = "escalation"

	// The attestations, also the keys of the proposal form's confirm
	// inputs (ProposalForm).
	AttestConstitution = "attest_constitution"
	AttestNoInterest   = "attest_no_interest"

	DataEnd        = "end"
	DataCadence    = "cadence"
	DataConditions = "conditions"
	// DataScope is the proposal's scope field (FieldScope) as an
	// adjustment of the pilot changes it.
	DataScope = FieldScope

	DataNote     = "note"
	DataReason   = "reason"
	DataText     = "text"
	DataObstacle = "n"
	DataAnswer   = "answer"
	DataVerdict  = "verdict"

	DataViolation = "violation"
	DataOutcome   = "outcome"
	DataLessons   = "lessons"
	DataRecommend = "recommend"

	DataLevel = "level"

	// DataActorName is the actor's name, recorded only when the org file
	// has none for them (a member listed or joined by identity): the
	// platform's display name at the time, so that the history and the
	// certificate name people, never identities.
	DataActorName = "actor_name"
)

// The keys of a Dialog's Data that never reach an event: they are kept in
// the person's session while a form or an action's questions are under
// way, not hashed. (The answers to an action's questions are keyed by
// the event data keys above: perform records them as they are.)
//
//	dialog   key                 holds
//	propose  dialogUnit          id of the unit the form files in
//	         dialogOneshot       "1": the fields came in one message, so the
//	                             optional duration is not asked for
//	         dialogSkipDuration  "1": the duration was skipped with "-"
//	act      dialogAction        the Action being asked for
//	         dialogConfirm       withdraw's confirmation, "yes"
//	         dialogWhat          adjust's choice: the data key it changes
//	         dialogValue         adjust's new term, recorded under dialogWhat
const (
	dialogUnit         = "unit"
	dialogOneshot      = "oneshot"
	dialogSkipDuration = "skip_duration"
	dialogAction       = "action"
	dialogConfirm      = "confirm"
	dialogWhat         = "what"
	dialogValue        = "value"
)
