"""Seed inputs and entry points shared by the hypothesis tests (tests/test_fuzz_*.py) and the atheris harnesses (fuzz/*.py)."""

from __future__ import annotations

import json

# a valid curated record (the mini data set's shape) and a ClinicalTrials.gov API v2 study, as starting points
RECORD = """document:
  key: pub/fuzz-2025
  a: JournalArticle
  label: Fuzz et al. 2025
  doi: 10.1000/fuzz.2025.1
entities:
  - key: pub/fuzz-2025/result/r1
    a: ProportionResult
    count: 12
    denominator: 20
    percent: 60.0
    locator: Results ¶2
"""

STUDY = {
    "protocolSection": {
        "identificationModule": {"nctId": "NCT01234567", "briefTitle": "t", "officialTitle": "t"},
        "statusModule": {"overallStatus": "COMPLETED", "startDateStruct": {"date": "2020-01"}},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "s", "class": "OTHER"}},
        "conditionsModule": {"conditions": ["c"]},
        "designModule": {"studyType": "INTERVENTIONAL", "phases": ["PHASE2"], "enrollmentInfo": {"count": 10, "type": "ACTUAL"},
                         "designInfo": {"allocation": "RANDOMIZED", "maskingInfo": {"masking": "NONE"}}},
        "armsInterventionsModule": {"armGroups": [{"label": "a", "type": "EXPERIMENTAL", "interventionNames": ["Biological: i"]}],
                                    "interventions": [{"type": "BIOLOGICAL", "name": "i", "armGroupLabels": ["a"]}]},
        "outcomesModule": {"primaryOutcomes": [{"measure": "m", "timeFrame": "day 28"}]},
        "eligibilityModule": {"minimumAge": "18 Years", "maximumAge": "65 Years", "sex": "ALL"},
    },
    "resultsSection": {
        "participantFlowModule": {"groups": [{"id": "FG000", "title": "a"}]},
        "adverseEventsModule": {"eventGroups": [{"id": "EG000", "title": "a", "seriousNumAffected": 1, "seriousNumAtRisk": 10}],
                                "seriousEvents": [{"term": "Fever", "stats": [{"groupId": "EG000", "numAffected": 1, "numAtRisk": 10}]}]},
        "outcomeMeasuresModule": {"outcomeMeasures": [{"type": "PRIMARY", "title": "m", "paramType": "COUNT_OF_PARTICIPANTS",
                                                       "timeFrame": "day 28", "groups": [{"id": "OG000", "title": "a"}],
                                                       "denoms": [{"units": "Participants", "counts": [{"groupId": "OG000", "value": "10"}]}],
                                                       "classes": [{"categories": [{"measurements": [{"groupId": "OG000", "value": "5"}]}]}]}]},
    },
}

TURTLE = '@prefix ex: <http://example.org/> .\nex:a ex:p "x", 1.5, true ; ex:q [ ex:r ex:b ] ; ex:s ( ex:c "d"@en ) .\n'
RDF_XML = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
           '<rdf:Description rdf:about="http://example.org/a"><ex:p>x</ex:p><ex:q rdf:resource="http://example.org/b"/>'
           '</rdf:Description></rdf:RDF>')
JSONLD = json.dumps({"@context": {"@vocab": "http://example.org/", "q": {"@type": "@id"}}, "@id": "http://example.org/a", "p": "x", "q": "http://example.org/b"})

SEARCH_WORDS = ["aplastic", "anaemia", "MSC", "ITP", "bleeding", "fever", "cord", "response", "day 28", "NCT00000001",
                "children", "GvHD", "cells/kg", "10^6", "grade 3", "placebo", "haemorrhage", "overall"]
