"""The invented manufacturers, conditions, adverse-event terms, drugs and outcomes that benchmarks/generate.py draws from."""

from __future__ import annotations

MANUFACTURERS = [  # (slug, preferred name, other spellings seen in registry records)
    (f"cellmaker-{i:02d}", f"{name} Biotech Co., Ltd", [f"{name} Biotechnology Co. Ltd.", f"{name.upper()} BIOTECH", f"{name} Bio-Tech"])
    for i, name in enumerate([
        "Arcadia", "Beringen", "Calderon", "Dunmore", "Elsworth", "Farrow", "Galen", "Harrowgate", "Ilford", "Jarrow",
        "Kestrel", "Lindqvist", "Marlow", "Northam", "Oakridge", "Pembury", "Quantock", "Rysdale", "Selwood", "Tamsin",
        "Ulvik", "Vantor", "Wexcombe", "Xandria", "Yelverton", "Zennor", "Ashgrove", "Brackley", "Cotswold", "Denholm",
    ])
]
CONDITIONS = [
    ("Immune Thrombocytopenia", "refractory-itp"), ("Aplastic Anemia", "saa"), ("Acute Graft Versus Host Disease", "agvhd"),
    ("Chronic Graft Versus Host Disease", "cgvhd"), ("Myelodysplastic Syndromes", "mds"), ("Poor Graft Function", "pgf"),
    ("Severe Aplastic Anaemia", "severe-saa"), ("Steroid-refractory Acute GVHD", "sr-agvhd"),
]
AE_TERMS = [  # (term as printed, organ system); several map to the ontology's adverse-event classes
    ("Pyrexia", "General disorders"), ("Fever", "General disorders"), ("Infection", "Infections and infestations"),
    ("Gastrointestinal haemorrhage", "Gastrointestinal disorders"), ("Haemorrhage", "Vascular disorders"),
    ("Cytopenia", "Blood and lymphatic system disorders"), ("Anaemia", "Blood and lymphatic system disorders"),
    ("Thrombocytopenia", "Blood and lymphatic system disorders"), ("Neutropenia", "Blood and lymphatic system disorders"),
    ("Nausea", "Gastrointestinal disorders"), ("Diarrhoea", "Gastrointestinal disorders"), ("Vomiting", "Gastrointestinal disorders"),
    ("Headache", "Nervous system disorders"), ("Rash", "Skin and subcutaneous tissue disorders"), ("Fatigue", "General disorders"),
    ("Cough", "Respiratory disorders"), ("Pneumonia", "Infections and infestations"), ("Sepsis", "Infections and infestations"),
    ("Hypertension", "Vascular disorders"), ("Hypokalaemia", "Metabolism and nutrition disorders"),
    ("Alanine aminotransferase increased", "Investigations"), ("Infusion related reaction", "Injury and procedural complications"),
    ("Chills", "General disorders"), ("Arthralgia", "Musculoskeletal disorders"), ("Back pain", "Musculoskeletal disorders"),
    ("Insomnia", "Psychiatric disorders"), ("Dizziness", "Nervous system disorders"), ("Oedema peripheral", "General disorders"),
    ("Epistaxis", "Respiratory disorders"), ("Hepatic disorder", "Hepatobiliary disorders"), ("Renal disorder", "Renal disorders"),
    ("Cytomegalovirus infection", "Infections and infestations"), ("Febrile neutropenia", "Blood and lymphatic system disorders"),
    ("Pruritus", "Skin and subcutaneous tissue disorders"), ("Abdominal pain", "Gastrointestinal disorders"),
    ("Constipation", "Gastrointestinal disorders"), ("Mucositis", "Gastrointestinal disorders"), ("Dyspnoea", "Respiratory disorders"),
]
DRUGS = ["Cyclosporine", "Eltrombopag", "Ruxolitinib", "Methylprednisolone", "Anti-thymocyte globulin", "Tacrolimus"]
OUTCOMES = [
    ("Overall Response Rate", "Percentage of participants with complete or partial response", "COUNT_OF_PARTICIPANTS"),
    ("Complete Response", "Participants with platelet count above 100 x 10^9/L", "COUNT_OF_PARTICIPANTS"),
    ("Time to Response", "Days from first infusion to response", "MEDIAN"),
    ("Platelet Count", "Platelet count at the time point", "MEAN"),
    ("Overall Survival", "Participants alive at the time point", "COUNT_OF_PARTICIPANTS"),
    ("Treatment-emergent Adverse Events", "Participants with at least one TEAE", "COUNT_OF_PARTICIPANTS"),
]
