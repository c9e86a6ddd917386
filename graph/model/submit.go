package model

import "dpcma/server/answers"

// SubmitResult is what submitResponses wrote; its answers and the
// subject's maturity resolve from it on demand, with the fields the
// client selects.
type SubmitResult struct {
	*answers.Result
	// Period is the period code of the submission.
	Period string
}
