// Package demo holds the demonstration data set of dpcma that does not come
// from the ODS reference files: the indicator catalogue (docs/domain.md §4),
// the six half-year assessment periods (§3) and a deterministic generator of
// synthetic but realistic answers (§8).
//
// The package depends on plain data only, not on the database.
package demo

import (
	"dpcma/ent/indicator"
	"dpcma/server/scoring"
)

// Indicator is one catalogue indicator.
type Indicator struct {
	Code, Title, Description, Domain string
	Category                         indicator.Category
	Spec                             scoring.Spec
	// Weight is scoring.DefaultWeight(Category).
	Weight int
	// Respondent is "PRACTICE" (each practice answers) or "CCG" (the CCG
	// answers once for all its practices).
	Respondent string
	// Source names where the real tool took the data from, or the
	// requirement the indicator rests on.
	Source string
}

// The respondents.
const (
	Practice = "PRACTICE"
	CCG      = "CCG"
)

// The domains, in display order.
const (
	DomainPatientOnline   = "Patient online"
	DomainRecords         = "Records & interoperability"
	DomainClinicalSystems = "Clinical systems"
	DomainInfrastructure  = "Infrastructure"
	DomainIG              = "Information governance"
	DomainService         = "GP IT service"
	DomainBI              = "Business intelligence"
)

// Domains lists the seven domains in display order.
func Domains() []string {
	return []string{DomainPatientOnline, DomainRecords, DomainClinicalSystems, DomainInfrastructure,
		DomainIG, DomainService, DomainBI}
}

// The principal clinical system suppliers, the choices of CS01.
const (
	EMISWeb   = "EMIS Web"
	SystmOne  = "SystmOne"
	Vision    = "Vision"
	Evolution = "Evolution"
	Other     = "Other"
)

// Catalogue returns the 50 indicators of docs/domain.md §4.3: the 48 of the
// original design and two more transformational ones (ER13 GP Connect
// appointment management, ER14 extended-access hub sharing the appointment
// book). Each call returns a new slice that the caller may change.
func Catalogue() []Indicator {
	yesNo := func() scoring.Spec { return scoring.Spec{Type: indicator.AnswerTypeBOOL} }
	pct := func(target float64) scoring.Spec { return scoring.Spec{Type: indicator.AnswerTypePCT, Target: &target} }
	ord := func(target float64, maxStep int) scoring.Spec {
		return scoring.Spec{Type: indicator.AnswerTypeORD, Target: &target, MaxStep: maxStep}
	}
	const (
		core  = indicator.CategoryCORE
		mand  = indicator.CategoryMANDATED
		enh   = indicator.CategoryENHANCED
		trans = indicator.CategoryTRANSFORMATIONAL
		P     = Practice
		C     = CCG
	)
	type row struct {
		code, title, domain string
		cat                 indicator.Category
		spec                scoring.Spec
		resp, source, desc  string
	}
	rows := []row{
		// Patient online
		{"PO01", "Online appointment booking enabled", DomainPatientOnline, mand, yesNo(), P,
			"POMI Sys_Appts_Enbld=2; GMS 2014",
			"Patients can book and cancel appointments online through the practice's clinical system. A GP contract requirement since April 2014."},
		{"PO02", "Online repeat prescription ordering enabled", DomainPatientOnline, mand, yesNo(), P,
			"POMI Sys_Presc_Enbld",
			"Patients can order repeat prescriptions online. A GP contract requirement since April 2014."},
		{"PO03", "Online access to detailed coded record enabled", DomainPatientOnline, mand, yesNo(), P,
			"POMI Sys_DetCodeRec_Enbld",
			"Patients who ask can see the coded information in their GP record online, not only the summary (allergies, medication, adverse reactions). Required by the GP contract from 31 March 2016."},
		{"PO04", "% registered patients enabled for ≥1 online service", DomainPatientOnline, mand, pct(10), P,
			"POMI Total_Pat_Enbld / list",
			"Registered patients enabled for at least one online service (booking, repeat prescriptions or record access) as a percentage of the list. The 2016/17 commitment was 10% by 31 March 2017; the 2017/18 ambition rose to 20%, but the catalogue holds one target, 10."},
		{"PO05", "% of routine appointments bookable online", DomainPatientOnline, enh, pct(25), P,
			"eDEC/local",
			"Share of routine GP appointments released for online booking. Target 25%; London's ETTF programme asked for 80%."},
		{"PO06", "Online access to clinical correspondence offered", DomainPatientOnline, mand, yesNo(), P,
			"GMS 2016/17",
			"Patients with record access can also see letters and other clinical correspondence held in their record."},
		{"PO07", "Online (e-)consultation system in use", DomainPatientOnline, trans, yesNo(), P,
			"GPFV £45m",
			"Patients can consult the practice through an online consultation system; funded from the General Practice Forward View's £45m online consultation fund."},
		{"PO08", "Practice website / NHS Choices profile kept current", DomainPatientOnline, core, yesNo(), P,
			"eDEC",
			"The practice website and NHS Choices profile show current opening hours, services and how to use online services."},
		{"PO09", "SMS appointment reminders", DomainPatientOnline, enh, yesNo(), P,
			"eDEC (unconfirmed)",
			"Patients receive text message reminders of their appointments, with a way to cancel."},
		{"PO10", "Video consultation available", DomainPatientOnline, trans, yesNo(), P,
			"(2021 mandated)",
			"Clinicians can consult patients by video where appropriate. Very small practices may mark it not applicable."},

		// Records & interoperability
		{"ER01", "EPS Release 2 live at practice", DomainRecords, mand, yesNo(), P,
			"NHS Digital EPS stats",
			"The practice sends prescriptions through Release 2 of the Electronic Prescription Service."},
		{"ER02", "EPS R2 utilisation (% items sent electronically)", DomainRecords, mand, pct(60), P,
			"NHSBSA/EPS",
			"Prescription items sent by EPS Release 2 as a percentage of all items prescribed. Target 60%."},
		{"ER03", "GP2GP enabled and in use", DomainRecords, mand, yesNo(), P,
			"GMS",
			"Patient records are sent and received electronically by GP2GP when patients change practice. A GP contract requirement."},
		{"ER04", "GP2GP utilisation (% transfers by GP2GP)", DomainRecords, mand, pct(80), P,
			"NHS Digital (unconfirmed)",
			"Record transfers between practices made by GP2GP as a percentage of all transfers. Target 80%."},
		{"ER05", "e-Referral Service utilisation (% first OP referrals)", DomainRecords, mand, pct(100), P,
			"e-RS reports",
			"First outpatient referrals made through the NHS e-Referral Service as a percentage of all first referrals. Use became mandatory (100%) from October 2018."},
		{"ER06", "SCR updated automatically at least daily", DomainRecords, mand, yesNo(), P,
			"GMS 2014",
			"The practice's clinical system uploads changes to the Summary Care Record automatically at least once a day."},
		{"ER07", "SCR additional information (with consent) recorded", DomainRecords, enh, pct(5), P,
			"(unconfirmed)",
			"Patients whose Summary Care Record includes additional information, with their consent, as a percentage of the list. Target 5%."},
		{"ER08", "NHS number used as primary identifier in correspondence", DomainRecords, mand, yesNo(), P,
			"GMS 2014",
			"The NHS number is the primary identifier in all clinical correspondence. A GP contract requirement since April 2014."},
		{"ER09", "Electronic discharge summaries received", DomainRecords, enh, ord(3, 3), P,
			"IAF 144a",
			"How many discharge summaries from the practice's main acute providers arrive electronically: 0 none, 1 some, 2 most, 3 all."},
		{"ER10", "Electronic pathology & radiology results", DomainRecords, core, yesNo(), P,
			"—",
			"Pathology and radiology results arrive electronically into the clinical system."},
		{"ER11", "Shared/local care record viewable by other providers", DomainRecords, trans, yesNo(), C,
			"—",
			"A shared or local care record lets other health and care providers in the area view relevant parts of the GP record."},
		{"ER12", "Docman/electronic document workflow in use", DomainRecords, enh, yesNo(), P,
			"—",
			"Incoming letters and documents are scanned or received electronically and routed through an electronic workflow."},
		{"ER13", "GP Connect appointment management in use", DomainRecords, trans, yesNo(), P,
			"GP Connect (NHS Digital)",
			"Other providers (NHS 111, hubs, neighbouring practices) can view and book the practice's appointments through GP Connect, whatever its clinical system."},
		{"ER14", "Extended-access hub shares the appointment book", DomainRecords, trans, yesNo(), C,
			"GPFV extended access",
			"The CCG's extended-access (evening and weekend) hubs and its practices share appointment books, so either can book the other's slots."},

		// Clinical systems
		{"CS01", "Principal clinical system supplier", DomainClinicalSystems, core,
			scoring.Spec{Type: indicator.AnswerTypeCHOICE, Choices: []string{EMISWeb, SystmOne, Vision, Evolution, Other}}, P,
			"POMI supplier",
			"The practice's principal clinical system. Recorded for filtering and comparison, not scored."},
		{"CS02", "Clinical system accredited under GPSoC", DomainClinicalSystems, core, yesNo(), P,
			"Op model 3.3",
			"The principal clinical system is accredited under the GP Systems of Choice framework."},
		{"CS03", "Clinical system training available to practices", DomainClinicalSystems, core, yesNo(), C,
			"IND7.0",
			"The CCG's GP IT service offers clinical system training to practice staff."},
		{"CS04", "Data quality / clinical coding support service", DomainClinicalSystems, core, yesNo(), C,
			"IND30.0",
			"Practices can call on a data quality and clinical coding support service."},
		{"CS05", "Formal clinical safety (DCB0160) support", DomainClinicalSystems, core, yesNo(), C,
			"IND11.0",
			"Practices have access to clinical safety officer support for deploying health IT under the DCB0160 standard."},
		{"CS06", "Clinical decision support/risk stratification tool", DomainClinicalSystems, enh, yesNo(), P,
			"—",
			"The practice uses a clinical decision support or risk stratification tool with its clinical system."},

		// Infrastructure
		{"IN01", "N3/HSCN connection meets bandwidth standard", DomainInfrastructure, core, yesNo(), P,
			"Op model 3.4",
			"The practice's N3 (later HSCN) connection meets the operating model's bandwidth standard for its size."},
		{"IN02", "NHS Wi-Fi available to patients and staff", DomainInfrastructure, core, yesNo(), P,
			"NHS Wi-Fi",
			"Free NHS Wi-Fi is available to patients and staff in the practice; centrally funded from 2017 to 2019."},
		{"IN03", "% of practice PCs within refresh period (≤5 yrs)", DomainInfrastructure, core, pct(90), P,
			"IND34.0-like",
			"Practice PCs no more than five years old as a percentage of all practice PCs. Target 90%."},
		{"IN04", "Equipment recorded in accurate asset register", DomainInfrastructure, core, yesNo(), C,
			"IND36.0",
			"GP IT equipment is recorded in an asset register that is kept accurate."},
		{"IN05", "Supported OS (Windows 7+/10 plan) on all devices", DomainInfrastructure, core, yesNo(), P,
			"(unconfirmed)",
			"Every device runs a supported operating system (Windows 7 or later), with a plan to move to Windows 10."},
		{"IN06", "Remote/mobile working available to clinicians", DomainInfrastructure, enh, yesNo(), P,
			"IND33.4–33.6",
			"Clinicians can use the clinical system securely away from the practice, for example on home visits or in care homes."},
		{"IN07", "Business continuity & DR plan tested", DomainInfrastructure, core, yesNo(), P,
			"IND2.0",
			"The practice has an IT business continuity and disaster recovery plan and has tested it in the last year."},

		// Information governance
		{"IG01", "IG Toolkit submitted at level 2 or above", DomainIG, mand, yesNo(), P,
			"IND8.1 (DSPT later)",
			"The practice's annual Information Governance Toolkit submission reaches level 2 or above on every requirement."},
		{"IG02", "Signed CCG-Practice Agreement", DomainIG, mand, yesNo(), P,
			"IND21.1",
			"The practice has signed the CCG-Practice Agreement covering GP IT services, systems and data controller duties."},
		{"IG03", "NHSmail in use by all staff", DomainIG, mand, pct(100), P,
			"IND9.1-like",
			"Practice staff with an NHSmail account in use as a percentage of all staff. Target 100%."},
		{"IG04", "Smartcards / RA service in place", DomainIG, core, yesNo(), C,
			"S6",
			"A registration authority service issues and manages NHS smartcards for practice staff."},
		{"IG05", "Cyber-security patching within supplier SLA", DomainIG, core, ord(3, 3), C,
			"(unconfirmed)",
			"How much of the practice estate receives security patches within the supplier's service level: 0 none, 1 some, 2 most, 3 all."},

		// GP IT service
		{"SV01", "GP IT service desk covers core GMS hours (08:00–18:30)", DomainService, core, yesNo(), C,
			"IND26.0",
			"The GP IT service desk is open throughout core GMS contract hours, 08:00 to 18:30 on weekdays."},
		{"SV02", "Service desk formally accredited (e.g. SDI)", DomainService, core, yesNo(), C,
			"IND28.0",
			"The GP IT service desk holds a formal accreditation such as the Service Desk Institute's."},
		{"SV03", "Annual formal GP IT review with each practice", DomainService, core, yesNo(), C,
			"IND24.0",
			"The GP IT service holds a formal review of IT services with each practice at least once a year."},
		{"SV04", "Local GP IT strategy and investment plan", DomainService, core, yesNo(), C,
			"IND12.0, IND14.0",
			"The CCG has a GP IT strategy and investment plan, aligned with its Local Digital Roadmap."},
		{"SV05", "Budgeted plan for core GP IT", DomainService, core, yesNo(), C,
			"IND15.0",
			"Core and mandated GP IT services are covered by a budgeted plan for the year."},
		{"SV06", "Service specification for GP IT commissioned services", DomainService, core, yesNo(), C,
			"IND20.0",
			"GP IT services are commissioned against a written service specification with service levels."},

		// Business intelligence
		{"BI01", "Practice uses BI/benchmarking dashboards (e.g. PCWT)", DomainBI, enh, yesNo(), P,
			"—",
			"The practice uses business intelligence or benchmarking dashboards, such as the Primary Care Web Tool, to review its performance."},
		{"BI02", "Population health / risk stratification across practices", DomainBI, trans, ord(2, 3), C,
			"—",
			"How far population health analytics and risk stratification run across the CCG's practices: 0 none, 1 pilot, 2 most practices, 3 all practices with linked data. Target step 2."},
	}
	out := make([]Indicator, len(rows))
	for i, r := range rows {
		out[i] = Indicator{Code: r.code, Title: r.title, Description: r.desc, Domain: r.domain, Category: r.cat,
			Spec: r.spec, Weight: scoring.DefaultWeight(r.cat), Respondent: r.resp, Source: r.source}
	}
	return out
}
