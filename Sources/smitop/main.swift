print("smitop")
