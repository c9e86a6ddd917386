package ent

// Hand-written decoding of answers, practices and organisations, the rows
// the dashboards read by the thousand. ent's generated scanValues and
// assignValues box every column of every row in a new sql.Null* value,
// scan it through database/sql's reflection, find the struct field by a
// switch on the column's name and allocate each nillable field on its
// own. Here each column of a statement scans into one typed target kept
// for the whole statement (a sql.Scanner, which database/sql calls
// directly), and a row's node and its nillable values share one slot of a
// slab allocated for many rows. sqlAll installs these through the
// template row_decoding.tmpl; the results are the same as ent's own
// decoding (TestRowDecodingMatchesEnt, server/app).

import (
	"context"
	"database/sql"
	"time"

	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/ent/response"

	"entgo.io/ent/dialect/sql/sqlgraph"
)

type generatedDecodingKey struct{}

// WithGeneratedDecoding makes the queries under ctx decode their rows
// with ent's generated code instead of the hand-written decoders, so that
// the two can be compared.
func WithGeneratedDecoding(ctx context.Context) context.Context {
	return context.WithValue(ctx, generatedDecodingKey{}, true)
}

func generatedDecoding(ctx context.Context) bool {
	return ctx.Value(generatedDecodingKey{}) != nil
}

// installDecoder makes spec decode through bind's targets and node,
// unless a statement returns a column bind does not know (a modifier's
// expression, say): then ent's own decoding takes the whole statement,
// and its selectValues keep the column as before.
func installDecoder(spec *sqlgraph.QuerySpec, bind func(columns []string) ([]any, bool), node func()) {
	entScan, entAssign := spec.ScanValues, spec.Assign
	var targets []any
	var bound, own bool
	spec.ScanValues = func(columns []string) ([]any, error) {
		if !bound {
			targets, own = bind(columns)
			bound = true
		}
		if !own {
			return entScan(columns)
		}
		return targets, nil
	}
	spec.Assign = func(columns []string, values []any) error {
		if !own {
			return entAssign(columns, values)
		}
		node()
		return nil
	}
}

// slabSize is the number of nodes of the next slab: small for the first
// rows (most statements return a handful), doubling up to 256.
func slabSize(last *int) int {
	*last = min(max(2**last, 4), 256)
	return *last
}

// cell is a typed scan target. A value of the expected type is stored
// directly; anything else (SQLite's integer booleans, a []byte string)
// goes through sql.Null's conversion, the one ent's sql.Null* types use.
type cell[T any] struct {
	v     T
	valid bool
}

func (c *cell[T]) Scan(src any) error {
	if s, ok := src.(T); ok {
		c.v, c.valid = s, true
		return nil
	}
	var n sql.Null[T] // a nil src leaves it invalid, with the zero value
	err := n.Scan(src)
	c.v, c.valid = n.V, n.Valid
	return err
}

type (
	intCell    = cell[int64]
	floatCell  = cell[float64]
	stringCell = cell[string]
	boolCell   = cell[bool]
	timeCell   = cell[time.Time]
)

// nextSlot takes the next slot of a slab, allocating a new slab (of
// slabSize's size) when it is used up.
func nextSlot[S any](slab *[]S, size *int) *S {
	if len(*slab) == 0 {
		*slab = make([]S, slabSize(size))
	}
	s := &(*slab)[0]
	*slab = (*slab)[1:]
	return s
}

// Answers.

type responseDecoder struct {
	config
	loaded                                              [4]bool
	nodes                                               *[]*Response
	id, practiceID, organisationID, indicatorID, period intCell
	value, submittedBy                                  stringCell
	numericValue, score                                 floatCell
	notApplicable                                       boolCell
	submittedAt                                         timeCell
	slab                                                []responseSlot
	slabSize                                            int
}

// responseSlot holds an answer and the values its pointer fields point at.
type responseSlot struct {
	node                       Response
	practiceID, organisationID int
	value                      string
	numericValue, score        float64
}

func decodeResponseRows(ctx context.Context, spec *sqlgraph.QuerySpec, cfg config, loaded [4]bool, nodes *[]*Response) {
	if generatedDecoding(ctx) {
		return
	}
	d := &responseDecoder{config: cfg, loaded: loaded, nodes: nodes}
	installDecoder(spec, d.bind, d.node)
}

func (d *responseDecoder) bind(columns []string) ([]any, bool) {
	targets := make([]any, len(columns))
	for i, c := range columns {
		switch c {
		case response.FieldID:
			targets[i] = &d.id
		case response.FieldPracticeID:
			targets[i] = &d.practiceID
		case response.FieldOrganisationID:
			targets[i] = &d.organisationID
		case response.FieldIndicatorID:
			targets[i] = &d.indicatorID
		case response.FieldPeriodID:
			targets[i] = &d.period
		case response.FieldValue:
			targets[i] = &d.value
		case response.FieldNumericValue:
			targets[i] = &d.numericValue
		case response.FieldNotApplicable:
			targets[i] = &d.notApplicable
		case response.FieldScore:
			targets[i] = &d.score
		case response.FieldSubmittedAt:
			targets[i] = &d.submittedAt
		case response.FieldSubmittedBy:
			targets[i] = &d.submittedBy
		default:
			return nil, false
		}
	}
	return targets, true
}

// node appends the row just scanned. A column the statement did not
// select was never scanned and stays invalid, so its field stays zero, as
// with ent's decoding.
func (d *responseDecoder) node() {
	s := nextSlot(&d.slab, &d.slabSize)
	n := &s.node
	n.config = d.config
	n.Edges.loadedTypes = d.loaded
	n.ID = int(d.id.v)
	if d.practiceID.valid {
		s.practiceID = int(d.practiceID.v)
		n.PracticeID = &s.practiceID
	}
	if d.organisationID.valid {
		s.organisationID = int(d.organisationID.v)
		n.OrganisationID = &s.organisationID
	}
	if d.indicatorID.valid {
		n.IndicatorID = int(d.indicatorID.v)
	}
	if d.period.valid {
		n.PeriodID = int(d.period.v)
	}
	if d.value.valid {
		s.value = d.value.v
		n.Value = &s.value
	}
	if d.numericValue.valid {
		s.numericValue = d.numericValue.v
		n.NumericValue = &s.numericValue
	}
	if d.notApplicable.valid {
		n.NotApplicable = d.notApplicable.v
	}
	if d.score.valid {
		s.score = d.score.v
		n.Score = &s.score
	}
	if d.submittedAt.valid {
		n.SubmittedAt = d.submittedAt.v
	}
	if d.submittedBy.valid {
		n.SubmittedBy = d.submittedBy.v
	}
	*d.nodes = append(*d.nodes, n)
}

// Practices.

type practiceDecoder struct {
	config
	loaded                                                         [4]bool
	nodes                                                          *[]*Practice
	id, listSize, ccgID, stpID, regionID                           intCell
	odsCode, name, postcode, clinicalSystem, localOffice, rurality stringCell
	status, contractType                                           stringCell
	dispensing                                                     boolCell
	weightedPatients                                               floatCell
	slab                                                           []practiceSlot
	slabSize                                                       int
}

// practiceSlot holds a practice and the values its pointer fields point at.
type practiceSlot struct {
	node             Practice
	contractType     practice.ContractType
	dispensing       bool
	rurality         string
	weightedPatients float64
	stpID            int
}

func decodePracticeRows(ctx context.Context, spec *sqlgraph.QuerySpec, cfg config, loaded [4]bool, nodes *[]*Practice) {
	if generatedDecoding(ctx) {
		return
	}
	d := &practiceDecoder{config: cfg, loaded: loaded, nodes: nodes}
	installDecoder(spec, d.bind, d.node)
}

func (d *practiceDecoder) bind(columns []string) ([]any, bool) {
	targets := make([]any, len(columns))
	for i, c := range columns {
		switch c {
		case practice.FieldID:
			targets[i] = &d.id
		case practice.FieldOdsCode:
			targets[i] = &d.odsCode
		case practice.FieldName:
			targets[i] = &d.name
		case practice.FieldPostcode:
			targets[i] = &d.postcode
		case practice.FieldListSize:
			targets[i] = &d.listSize
		case practice.FieldClinicalSystem:
			targets[i] = &d.clinicalSystem
		case practice.FieldLocalOffice:
			targets[i] = &d.localOffice
		case practice.FieldStatus:
			targets[i] = &d.status
		case practice.FieldContractType:
			targets[i] = &d.contractType
		case practice.FieldDispensing:
			targets[i] = &d.dispensing
		case practice.FieldRurality:
			targets[i] = &d.rurality
		case practice.FieldWeightedPatients:
			targets[i] = &d.weightedPatients
		case practice.FieldCcgID:
			targets[i] = &d.ccgID
		case practice.FieldStpID:
			targets[i] = &d.stpID
		case practice.FieldRegionID:
			targets[i] = &d.regionID
		default:
			return nil, false
		}
	}
	return targets, true
}

func (d *practiceDecoder) node() {
	s := nextSlot(&d.slab, &d.slabSize)
	n := &s.node
	n.config = d.config
	n.Edges.loadedTypes = d.loaded
	n.ID = int(d.id.v)
	if d.odsCode.valid {
		n.OdsCode = d.odsCode.v
	}
	if d.name.valid {
		n.Name = d.name.v
	}
	if d.postcode.valid {
		n.Postcode = d.postcode.v
	}
	if d.listSize.valid {
		n.ListSize = int(d.listSize.v)
	}
	if d.clinicalSystem.valid {
		n.ClinicalSystem = d.clinicalSystem.v
	}
	if d.localOffice.valid {
		n.LocalOffice = d.localOffice.v
	}
	if d.status.valid {
		n.Status = practice.Status(d.status.v)
	}
	if d.contractType.valid {
		s.contractType = practice.ContractType(d.contractType.v)
		n.ContractType = &s.contractType
	}
	if d.dispensing.valid {
		s.dispensing = d.dispensing.v
		n.Dispensing = &s.dispensing
	}
	if d.rurality.valid {
		s.rurality = d.rurality.v
		n.Rurality = &s.rurality
	}
	if d.weightedPatients.valid {
		s.weightedPatients = d.weightedPatients.v
		n.WeightedPatients = &s.weightedPatients
	}
	if d.ccgID.valid {
		n.CcgID = int(d.ccgID.v)
	}
	if d.stpID.valid {
		s.stpID = int(d.stpID.v)
		n.StpID = &s.stpID
	}
	if d.regionID.valid {
		n.RegionID = int(d.regionID.v)
	}
	*d.nodes = append(*d.nodes, n)
}

// Organisations.

type organisationDecoder struct {
	config
	loaded                                             [6]bool
	nodes                                              *[]*Organisation
	id, parentID                                       intCell
	odsCode, name, tier, localOffice, postcode, status stringCell
	slab                                               []organisationSlot
	slabSize                                           int
}

// organisationSlot holds an organisation and its parent's id.
type organisationSlot struct {
	node     Organisation
	parentID int
}

func decodeOrganisationRows(ctx context.Context, spec *sqlgraph.QuerySpec, cfg config, loaded [6]bool, nodes *[]*Organisation) {
	if generatedDecoding(ctx) {
		return
	}
	d := &organisationDecoder{config: cfg, loaded: loaded, nodes: nodes}
	installDecoder(spec, d.bind, d.node)
}

func (d *organisationDecoder) bind(columns []string) ([]any, bool) {
	targets := make([]any, len(columns))
	for i, c := range columns {
		switch c {
		case organisation.FieldID:
			targets[i] = &d.id
		case organisation.FieldOdsCode:
			targets[i] = &d.odsCode
		case organisation.FieldName:
			targets[i] = &d.name
		case organisation.FieldTier:
			targets[i] = &d.tier
		case organisation.FieldLocalOffice:
			targets[i] = &d.localOffice
		case organisation.FieldPostcode:
			targets[i] = &d.postcode
		case organisation.FieldStatus:
			targets[i] = &d.status
		case organisation.FieldParentID:
			targets[i] = &d.parentID
		default:
			return nil, false
		}
	}
	return targets, true
}

func (d *organisationDecoder) node() {
	s := nextSlot(&d.slab, &d.slabSize)
	n := &s.node
	n.config = d.config
	n.Edges.loadedTypes = d.loaded
	n.ID = int(d.id.v)
	if d.odsCode.valid {
		n.OdsCode = d.odsCode.v
	}
	if d.name.valid {
		n.Name = d.name.v
	}
	if d.tier.valid {
		n.Tier = organisation.Tier(d.tier.v)
	}
	if d.localOffice.valid {
		n.LocalOffice = d.localOffice.v
	}
	if d.postcode.valid {
		n.Postcode = d.postcode.v
	}
	if d.status.valid {
		n.Status = organisation.Status(d.status.v)
	}
	if d.parentID.valid {
		s.parentID = int(d.parentID.v)
		n.ParentID = &s.parentID
	}
	*d.nodes = append(*d.nodes, n)
}
